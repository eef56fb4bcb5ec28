import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: coalesced writes")
struct HandlerFlushTests {
    @Test("frames answered within one read leave in one flush, when the read completes")
    func oneFlushPerRead() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(
            .ping(nonce: 1),
            .ping(nonce: 2),
            callFrame(3, "/mailgate.v1.Nope/Nothing", nonce: 3),
            .ping(nonce: 4)
        )
        #expect(try await connection.flushedFrames().count == 4)
        #expect(connection.flushes.count == 1)
        await connection.close()
    }

    @Test("replies decided in the same loop turn leave in one flush")
    func oneFlushPerLoopTurn() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(
            callFrame(1, TestMethods.hold, nonce: 1, timeoutMs: 100),
            callFrame(2, TestMethods.hold, nonce: 2, timeoutMs: 100)
        )
        #expect(connection.flushes.count == 0, "nothing was answered yet")
        await connection.advanceTime(by: .milliseconds(100))
        let frames = try await connection.flushedFrames()
        #expect(Set(frames.map(\.callID)) == [1, 2])
        #expect(frames.allSatisfy { $0.status?.code == .deadlineExceeded })
        #expect(connection.flushes.count == 1)
        await connection.close()
    }
}
