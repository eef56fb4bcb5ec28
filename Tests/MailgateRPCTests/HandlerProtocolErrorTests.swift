import MailgateProto
import Testing

@testable import MailgateRPC

@Suite("Connection handler: framing and protocol errors")
struct HandlerProtocolErrorTests {
    @Test(
        "a framing violation gets a GoAway with its status, then the connection closes",
        arguments: [
            ([0, 0, 0, 0] as [UInt8], StatusCode.invalidArgument, "EMPTY_FRAME"),
            ([0x7F, 0xFF, 0xFF, 0xFF], .resourceExhausted, "FRAME_TOO_LARGE"),
            ([0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .invalidArgument, "MALFORMED_FRAME"),
        ]
    )
    func framingViolation(bytes: [UInt8], code: StatusCode, reason: String) async throws {
        let connection = try await TestConnection.open()
        try await connection.send(bytes: bytes)
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status.map { StatusCode($0.code) } == code)
        #expect(frames.first?.status?.reason == reason)
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("a frame over the configured maximum is refused from its length prefix alone")
    func configuredMaximum() async throws {
        let connection = try await TestConnection.open(configure: { $0.maximumFrameBytes = 64 })
        try await connection.send(bytes: [0, 0, 0, 65])
        let frames = try await connection.flushedFrames()
        #expect(frames.map { $0.status?.reason } == ["FRAME_TOO_LARGE"])
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("a Reply from a client gets an INVALID_ARGUMENT GoAway; frames after it in the same read go unanswered")
    func unexpectedFrame() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(.reply(callID: 1, status: .ok), .ping(nonce: 1))
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1, "nothing may follow the GoAway: \(frames)")
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status?.code == .invalidArgument)
        #expect(frames.first?.status?.reason == "UNEXPECTED_FRAME")
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("a call id already in flight gets a GoAway, and the running handler is cancelled")
    func duplicateCallID() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(callFrame(5, TestMethods.hold, nonce: 1))
        try await connection.send(callFrame(5, TestMethods.echo, nonce: 2))
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1, "no reply may follow the GoAway: \(frames)")
        #expect(frames.first?.status?.reason == "DUPLICATE_CALL_ID")
        #expect(!connection.isActive)
        try await waitUntil { connection.observations.cancelledCount == 1 }
        await connection.close()
    }

    @Test("a Ping is answered with a Pong carrying its call id and nonce")
    func pingPong() async throws {
        let connection = try await TestConnection.open()
        var ping = Mailgate_V1_Frame.ping(nonce: 0xDEAD_BEEF)
        ping.callID = 3
        try await connection.send(ping)
        let frames = try await connection.flushedFrames()
        guard case .pong(let pong) = frames.first?.kind else {
            Issue.record("expected a Pong, got \(frames)")
            return
        }
        #expect(pong.nonce == 0xDEAD_BEEF)
        #expect(frames.first?.callID == 3)
        #expect(connection.isActive)
        await connection.close()
    }
}
