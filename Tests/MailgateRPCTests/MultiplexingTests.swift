import NIOCore
import MailgateProto
import MailgateRPC
import Testing

@Suite("Multiplexing")
struct MultiplexingTests {
    @Test("1,000 concurrent calls on one connection all get their own reply, completing out of order")
    func thousandConcurrentCalls() async throws {
        try await withTestServer(configure: { $0.maximumConcurrentCallsPerConnection = 1_000 }) { _, port in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            defer { Task { await connection.close() } }
            let results = try await withThrowingTaskGroup(of: (UInt64, UInt64).self) { group in
                for nonce in 1...1_000 as ClosedRange<UInt64> {
                    group.addTask {
                        let reply = try await connection.call(
                            method: TestMethods.echo,
                            metadata: goodKey,
                            timeout: .seconds(30),
                            payload: payload(nonce: nonce)
                        )
                        #expect(reply.status.code == .ok)
                        return (nonce, try pong(of: reply).nonce)
                    }
                }
                var completionOrder: [(UInt64, UInt64)] = []
                for try await result in group { completionOrder.append(result) }
                return completionOrder
            }
            #expect(results.count == 1_000)
            #expect(results.allSatisfy { $0.0 == $0.1 }, "every reply belongs to its call")
            let order = results.map(\.0)
            #expect(order != order.sorted(), "replies arrived in an order other than the calls'")
        }
    }

    @Test("one raw connection sees replies in a different order than it sent the calls")
    func outOfOrderOnTheWire() async throws {
        try await withTestServer { _, port in
            let connection = try await RawConnection.connect(port: port)
            // Call 1 sleeps 300 ms, call 2 answers at once: 2's reply must come first.
            let frames = try await connection.exchange(
                [
                    framed(callFrame(1, TestMethods.sleep, nonce: 300)),
                    framed(callFrame(2, TestMethods.publicEcho, nonce: 1)),
                ],
                limit: 2
            )
            #expect(frames.map(\.callID) == [2, 1])
        }
    }
}
