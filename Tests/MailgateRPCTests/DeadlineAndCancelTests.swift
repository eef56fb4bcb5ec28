import NIOCore
import NIOPosix
import MailgateProto
import MailgateRPC
import Testing

@Suite("Deadlines and cancellation")
struct DeadlineAndCancelTests {
    @Test("a call past its deadline is answered DEADLINE_EXCEEDED and its handler is cancelled")
    func deadline() async throws {
        let observations = Observations()
        try await withTestServer(observations: observations) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange(
                [framed(callFrame(1, TestMethods.sleep, nonce: 10_000, timeoutMs: 100))],
                limit: 1
            )
            guard case .reply(let reply) = frames.first?.kind else {
                Issue.record("expected a reply, got \(frames)")
                return
            }
            #expect(reply.status.code == .deadlineExceeded)
            try await waitUntil { observations.cancelledCount == 1 }
        }
    }

    @Test("the client enforces the deadline itself when the server never answers")
    func clientDeadline() async throws {
        // A listener that accepts and reads but never writes a byte.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: silent.localAddress!.port!)
        let start = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            _ = try await connection.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .milliseconds(50),
                payload: payload(nonce: 5_000)
            )
        }
        #expect(error?.code == .deadlineExceeded)
        // The server never answers, so without the client's own timer the call would never end;
        // the bound only has to allow for a machine loaded by the rest of the suite (4.3 s seen).
        #expect(ContinuousClock.now - start < .seconds(20))
        await connection.close()
        try await silent.close()
    }

    @Test("a Cancel frame cancels the handler and the call is answered CANCELLED")
    func cancelFrame() async throws {
        let observations = Observations()
        try await withTestServer(observations: observations) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange(
                [framed(callFrame(3, TestMethods.sleep, nonce: 10_000)), framed(.cancel(callID: 3))],
                pauseBetweenChunks: .milliseconds(100),
                limit: 1
            )
            guard case .reply(let reply) = frames.first?.kind else {
                Issue.record("expected a reply, got \(frames)")
                return
            }
            #expect(frames.first?.callID == 3)
            #expect(reply.status.code == .cancelled)
            try await waitUntil { observations.cancelledCount == 1 }
        }
    }

    @Test("cancelling the calling task sends Cancel and the server handler stops")
    func cancelledTask() async throws {
        let observations = Observations()
        try await withTestServer(observations: observations) { _, port in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let call = Task {
                try await connection.call(
                    method: TestMethods.sleep,
                    metadata: goodKey,
                    timeout: .seconds(30),
                    payload: payload(nonce: 10_000)
                )
            }
            try await waitUntil { observations.startedCount == 1 }
            call.cancel()
            let result = await call.result
            #expect(throws: RPCError.self) { try result.get() }
            try await waitUntil { observations.cancelledCount == 1 }
            await connection.close()
        }
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within 5 s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
