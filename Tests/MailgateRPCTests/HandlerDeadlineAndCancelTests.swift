import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: deadlines and cancellation")
struct HandlerDeadlineAndCancelTests {
    @Test(
        "a call is answered DEADLINE_EXCEEDED when the loop's clock passes its deadline, and its handler is cancelled"
    )
    func deadline() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(callFrame(1, TestMethods.hold, nonce: 1, timeoutMs: 100))
        await connection.advanceTime(by: .milliseconds(99))
        #expect(try await connection.flushedFrames().isEmpty)
        await connection.advanceTime(by: .milliseconds(1))
        let frames = try await connection.flushedFrames()
        #expect(frames.map(\.callID) == [1])
        #expect(frames.first?.status?.code == .deadlineExceeded)
        try await waitUntil { connection.observations.cancelledCount == 1 }
        #expect(connection.isActive)
        await connection.close()
    }

    @Test(
        "a call without a timeout gets the default deadline; a longer timeout is cut to the maximum",
        arguments: [(0 as UInt32, 1_000 as Int64), (1_500, 1_500), (60_000, 2_000)]
    )
    func deadlineBounds(timeoutMs: UInt32, deadlineMs: Int64) async throws {
        let connection = try await TestConnection.open(configure: {
            $0.defaultTimeout = .seconds(1)
            $0.maximumTimeout = .seconds(2)
        })
        try await connection.send(callFrame(1, TestMethods.hold, nonce: 1, timeoutMs: timeoutMs))
        await connection.advanceTime(by: .milliseconds(deadlineMs - 1))
        #expect(try await connection.flushedFrames().isEmpty)
        await connection.advanceTime(by: .milliseconds(1))
        #expect(try await connection.flushedFrames().map { $0.status?.code } == [.deadlineExceeded])
        await connection.close()
    }

    @Test("a Cancel frame answers the call CANCELLED at once and cancels its handler; its deadline no longer fires")
    func cancelFrame() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(callFrame(3, TestMethods.hold, nonce: 1, timeoutMs: 100))
        try await connection.send(.cancel(callID: 3))
        let frames = try await connection.flushedFrames()
        #expect(frames.map(\.callID) == [3])
        #expect(frames.first?.status?.code == .cancelled)
        try await waitUntil { connection.observations.cancelledCount == 1 }
        await connection.advanceTime(by: .seconds(1))
        #expect(try await connection.flushedFrames().isEmpty)
        await connection.close()
    }

    @Test("a Cancel for a call that is not in flight is ignored")
    func cancelUnknown() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(.cancel(callID: 42))
        #expect(try await connection.flushedFrames().isEmpty)
        #expect(connection.isActive)
        await connection.close()
    }

    @Test("the reply of a handler that finishes is sent, and its deadline no longer fires")
    func handlerReply() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(callFrame(1, TestMethods.publicEcho, nonce: 9, timeoutMs: 100))
        let frames = try await connection.waitForFrames(1)
        guard case .reply(let reply) = frames.first?.kind else {
            Issue.record("expected a reply, got \(frames)")
            return
        }
        #expect(reply.status.code == .ok)
        #expect(try pong(of: reply).nonce == 9)
        await connection.advanceTime(by: .seconds(1))
        #expect(try await connection.flushedFrames().isEmpty)
        await connection.close()
    }
}
