import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: the request-bytes budget")
struct HandlerBudgetTests {
    /// Two connections of one server whose budget is 100 KB (25 KB for unauthenticated
    /// connections), each authenticated by a first call.
    static func twoAuthenticatedConnections() async throws -> (TestConnection, TestConnection) {
        let budget = RequestByteBudget(limit: 100_000, unauthenticatedLimit: 25_000)
        var connections: [TestConnection] = []
        for _ in 0..<2 {
            let connection = try await TestConnection.open(budget: budget)
            try await connection.send(callFrame(1, TestMethods.whoAmI, nonce: 1))
            #expect(try await connection.waitForFrames(1).first?.status?.code == .ok)
            connections.append(connection)
        }
        return (connections[0], connections[1])
    }

    @Test("a frame the budget has no room for waits, its connection not read, until a handler ending makes room")
    func waitsForRoom() async throws {
        let (first, second) = try await Self.twoAuthenticatedConnections()
        try await first.send(paddedCallFrame(2, TestMethods.hold, nonce: 2, bytes: 80_000))
        try await waitUntil { first.observations.startedCount == 1 }

        // 40 KB do not fit beside the 80 KB held: the second connection's call waits.
        let waiting = framed(paddedCallFrame(3, TestMethods.echo, nonce: 3, bytes: 40_000))
        try await second.send(bytes: Array(waiting.prefix(1000)))
        let readsBefore = second.reads.count
        try await second.requestRead()
        #expect(second.reads.count == readsBefore, "the read is held back while the frame waits")
        try await second.send(bytes: Array(waiting.dropFirst(1000)))
        #expect(try await second.flushedFrames().isEmpty)
        #expect(second.budget.reserved == 80_000)

        first.gate.open()
        #expect(try await first.waitForFrames(1).map(\.callID) == [2])
        let answered = try await second.waitForFrames(1)
        #expect(answered.map(\.callID) == [3])
        #expect(answered.first?.status?.code == .ok)
        #expect(second.reads.count == readsBefore + 1, "the held read went through with the grant")
        try await waitUntil { second.budget.reserved == 0 }
        await first.close()
        await second.close()
    }

    @Test("a connection that closes while waiting leaves the line; the bytes go to the next in line")
    func closeWhileWaiting() async throws {
        let (first, second) = try await Self.twoAuthenticatedConnections()
        let third = try await TestConnection.open(budget: first.budget)
        try await third.send(callFrame(1, TestMethods.whoAmI, nonce: 1))
        _ = try await third.waitForFrames(1)

        try await first.send(paddedCallFrame(2, TestMethods.hold, nonce: 2, bytes: 80_000))
        try await waitUntil { first.observations.startedCount == 1 }
        try await second.send(
            bytes: Array(framed(paddedCallFrame(3, TestMethods.echo, nonce: 3, bytes: 60_000)).prefix(8))
        )
        try await third.send(paddedCallFrame(4, TestMethods.echo, nonce: 4, bytes: 20_000))
        #expect(try await third.flushedFrames().isEmpty, "behind the second connection")

        await second.close()
        #expect(try await third.waitForFrames(1).map(\.callID) == [4], "answered while the 80 KB are still held")
        first.gate.open()
        _ = try await first.waitForFrames(1)
        try await waitUntil { first.budget.reserved == 0 }
        await first.close()
        await third.close()
    }
}
