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
            let connection = try await RawConnection.connect(port: port)
            let start = ContinuousClock.now
            let frames = try await connection.exchange([])
            #expect(ContinuousClock.now - start >= .milliseconds(200))
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
        try await withTestServer(configure: { $0.idleTimeout = .milliseconds(400) }) { _, port in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let reply = try await connection.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 1_500)
            )
            #expect(reply.status.code == .ok)
            await connection.close()
        }
    }

    @Test("graceful shutdown: GoAway, calls in flight complete, new calls are refused, run() returns")
    func gracefulShutdown() async throws {
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
            try await tasks.next()
            #expect(server.connectionCount == 0)
        }
    }

    @Test("a call on a draining connection is refused with UNAVAILABLE")
    func callWhileDraining() async throws {
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
            let connection = try await RawConnection.connect(port: port)
            async let frames = connection.exchange(
                [framed(callFrame(1, TestMethods.sleep, nonce: 2_500)), framed(callFrame(2, TestMethods.echo, nonce: 2))],
                pauseBetweenChunks: .milliseconds(1_200)
            )
            try await waitUntil { observations.startedCount == 1 }
            await group.triggerGracefulShutdown()
            let received = try await frames
            let kinds = received.map { frame -> String in
                switch frame.kind {
                case .goAway: return "goAway"
                case .reply(let reply): return "reply \(frame.callID) \(reply.status.code)"
                default: return "other"
                }
            }
            #expect(kinds == ["goAway", "reply 2 unavailable", "reply 1 ok"])
            try await tasks.next()
        }
    }
}
