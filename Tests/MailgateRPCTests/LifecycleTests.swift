import NIOCore
import Logging
import MailgateProto
import MailgateRPC
import ServiceLifecycle
import Testing

@Suite("Connection and server lifecycle")
struct LifecycleTests {
    @Test("an idle connection gets a GoAway and is closed")
    func idleTimeout() async throws {
        try await withTestServer(configure: { $0.idleTimeout = .milliseconds(200) }) { server, port in
            // From before the connect: the server's idle clock starts when it accepts.
            let start = ContinuousClock.now
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([])
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            guard case .goAway(let goAway) = frames.last?.kind else {
                Issue.record("expected GoAway, got \(frames)")
                return
            }
            #expect(goAway.status.reason == "IDLE_TIMEOUT")
            try await waitUntil { server.connectionCount == 0 }
        }
    }

    @Test("a connection with a call in flight is not idle")
    func busyIsNotIdle() async throws {
        // The call lasts well past the idle timeout; the timeout is long enough that a loaded
        // machine still sends the call before the fresh connection counts as idle.
        try await withTestServer(configure: { $0.idleTimeout = .milliseconds(3_000) }) { _, port in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let reply = try await connection.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .seconds(15),
                payload: payload(nonce: 7_000)
            )
            #expect(reply.status.code == .ok)
            await connection.close()
        }
    }

    @Test("graceful shutdown: GoAway, calls in flight complete, new calls are refused, run() returns")
    func gracefulShutdown() async throws {
        try await withServerInServiceGroup { server, group, observations, port, waitForExit in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            async let inFlight = connection.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .seconds(10),
                payload: payload(nonce: 500)
            )
            try await waitUntil { observations.startedCount == 1 }
            await group.triggerGracefulShutdown()
            try await waitUntil { server.isDraining }
            // The call in flight still completes with its real answer.
            let reply = try await inFlight
            #expect(reply.status.code == .ok)
            #expect(try pong(of: reply).nonce == 500)
            // New connections are refused once the listener closed.
            await #expect(throws: (any Error).self) {
                _ = try await RPCClientConnection.connect(host: "127.0.0.1", port: port, connectTimeout: .seconds(1))
            }
            try await waitForExit()
            #expect(server.connectionCount == 0)
        }
    }

    @Test("a call on a draining connection is refused with UNAVAILABLE")
    func callWhileDraining() async throws {
        try await withServerInServiceGroup { server, group, observations, port, waitForExit in
            let connection = try await RawConnection.connect(port: port)
            try await connection.converse { send, receive in
                // Long enough that call 2 arrives while call 1 still runs, even on a loaded machine.
                try await send(callFrame(1, TestMethods.sleep, nonce: 3_000))
                try await waitUntil { observations.startedCount == 1 }
                await group.triggerGracefulShutdown()
                let goAway = try await receive()
                guard case .goAway(let status) = goAway?.kind else {
                    Issue.record("expected GoAway, got \(String(describing: goAway))")
                    return
                }
                #expect(status.status.reason == "DRAINING")
                try await send(callFrame(2, TestMethods.echo, nonce: 2))
                var answers: [UInt64: StatusCode] = [:]
                while answers.count < 2, let frame = try await receive() {
                    if case .reply(let reply) = frame.kind { answers[frame.callID] = StatusCode(reply.status.code) }
                }
                #expect(answers == [1: .ok, 2: .unavailable])
            }
            try await waitForExit()
        }
    }
}

/// Runs a test server inside a `ServiceGroup`, so a test can trigger graceful shutdown;
/// `waitForExit` returns once the group's `run()` has returned.
func withServerInServiceGroup(
    _ body: (
        RPCServer<TestPrincipal>, ServiceGroup, Observations, Int, _ waitForExit: () async throws -> Void
    ) async throws -> Void
) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let observations = Observations()
    let server = try RPCServer(
        configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(10)),
        router: TestMethods.router(observations: observations),
        authenticator: TestAuthenticator(),
        logger: logger
    )
    let group = ServiceGroup(services: [server], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let port = try await server.listeningAddress.port!
        try await body(server, group, observations, port) { _ = try await tasks.next() }
    }
}
