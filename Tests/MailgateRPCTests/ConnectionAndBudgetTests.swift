import MailgateProto
import MailgateRPC
import NIOCore
import Testing

@Suite("Connection cap and request budget over TCP")
struct ConnectionAndBudgetTests {
    @Test(
        "a connection past the cap gets a GoAway (CONNECTION_LIMIT, retry hint) and is closed; a freed slot is taken again"
    )
    func connectionCap() async throws {
        try await withTestServer(configure: { $0.maximumConnections = 2 }) { server, port in
            let first = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let second = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            try await waitUntil { server.connectionCount == 2 }

            let refused = try await RawConnection.connect(port: port)
            // Nothing is written: the server closes the connection at once, and a write racing
            // the close would fail.
            let frames = try await refused.exchange([])
            #expect(frames.count == 1, "the GoAway alone: \(frames)")
            #expect(frames.first?.isGoAway == true)
            #expect(frames.first?.status?.code == StatusCode.resourceExhausted.wire)
            #expect(frames.first?.status?.reason == "CONNECTION_LIMIT")
            #expect(frames.first?.status?.retryAfterMs == 1000)
            #expect(server.connectionCount == 2)

            await first.close()
            try await waitUntil { server.connectionCount == 1 }
            let next = try await RawConnection.connect(port: port)
            let replies = try await next.exchange([framed(callFrame(1, TestMethods.publicEcho, nonce: 5))], limit: 1)
            #expect(replies.first?.status?.code == StatusCode.ok.wire)
            await second.close()
        }
    }

    @Test("a frame the budget cannot hold yet waits, unread, until a call's handler ends: it is not refused")
    func waitsForBudget() async throws {
        try await withTestServer(configure: {
            $0.maximumFrameBytes = 256 * 1024
            $0.maximumRequestBytesInFlight = 256 * 1024
        }) { server, port in
            let first = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let second = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            for connection in [first, second] {
                let reply = try await connection.call(
                    method: TestMethods.whoAmI,
                    metadata: goodKey,
                    timeout: .seconds(30),
                    payload: payload(nonce: 1)
                )
                #expect(reply.status.code == .ok)
            }
            // 200 KB held for 1.5 s by a call on the first connection…
            let held = paddedCallFrame(2, TestMethods.sleep, nonce: 1_500, bytes: 200_000)
            guard case .call(let heldCall) = held.kind else { return }
            async let slow = first.call(
                method: TestMethods.sleep,
                metadata: goodKey,
                timeout: .seconds(30),
                payload: [UInt8](heldCall.payload)
            )
            try await waitUntil { server.callsInFlight == 1 }
            let heldSince = ContinuousClock.now
            // …leave no room for 100 KB on the second until that call ends.
            let waiting = paddedCallFrame(3, TestMethods.echo, nonce: 7, bytes: 100_000)
            guard case .call(let waitingCall) = waiting.kind else { return }
            let reply = try await second.call(
                method: TestMethods.echo,
                metadata: goodKey,
                timeout: .seconds(30),
                payload: [UInt8](waitingCall.payload)
            )
            #expect(reply.status.code == .ok)
            #expect(try pong(of: reply).nonce == 7)
            #expect(ContinuousClock.now - heldSince >= .milliseconds(1_400), "answered only once the budget had room")
            #expect(try await slow.status.code == .ok)
            #expect(server.requestBytesInFlight == 0)
            await first.close()
            await second.close()
        }
    }
}
