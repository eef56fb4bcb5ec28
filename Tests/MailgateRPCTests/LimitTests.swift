import NIOCore
import MailgateProto
import MailgateRPC
import Testing

@Suite("Concurrency limits")
struct LimitTests {
    @Test("calls past the per-connection limit get RESOURCE_EXHAUSTED; the others complete")
    func perConnectionLimit() async throws {
        try await withTestServer(configure: { $0.maximumConcurrentCallsPerConnection = 2 }) { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange(
                (1...3).map { framed(callFrame(UInt64($0), TestMethods.sleep, nonce: 200)) },
                limit: 3
            )
            let statuses = Dictionary(
                uniqueKeysWithValues: frames.compactMap { frame -> (UInt64, StatusCode)? in
                    guard case .reply(let reply) = frame.kind else { return nil }
                    return (frame.callID, StatusCode(reply.status.code))
                }
            )
            #expect(statuses == [1: .ok, 2: .ok, 3: .resourceExhausted])
        }
    }

    @Test("calls past the server-wide limit get RESOURCE_EXHAUSTED with a retry hint, across connections")
    func serverWideLimit() async throws {
        try await withTestServer(configure: { $0.maximumConcurrentCalls = 1 }) { server, port in
            let first = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let second = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            async let slow = first.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 2_000)
            )
            try await waitUntil { server.callsInFlight == 1 }
            let refused = try await second.call(
                method: TestMethods.echo,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 1)
            )
            #expect(refused.status.code == .resourceExhausted)
            #expect(refused.status.retryAfterMs > 0)
            #expect(try await slow.status.code == .ok)
            // The slot is free again.
            let after = try await second.call(
                method: TestMethods.echo,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 1)
            )
            #expect(after.status.code == .ok)
            await first.close()
            await second.close()
        }
    }
}
