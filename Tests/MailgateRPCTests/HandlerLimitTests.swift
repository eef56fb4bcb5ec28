import MailgateProto
import Testing

@testable import MailgateRPC

@Suite("Connection handler: limits and unknown methods")
struct HandlerLimitTests {
    @Test("calls past the per-connection limit get RESOURCE_EXHAUSTED at once; a slot frees when a handler ends")
    func perConnectionLimit() async throws {
        let connection = try await TestConnection.open(configure: { $0.maximumConcurrentCallsPerConnection = 2 })
        try await connection.send(
            callFrame(1, TestMethods.hold, nonce: 1),
            callFrame(2, TestMethods.hold, nonce: 2),
            callFrame(3, TestMethods.hold, nonce: 3)
        )
        let refused = try await connection.flushedFrames()
        #expect(refused.map(\.callID) == [3], "only the third call is answered yet: \(refused)")
        #expect(refused.first?.status?.code == .resourceExhausted)
        #expect(refused.first?.status?.reason == "CONNECTION_CALL_LIMIT")

        connection.gate.open()
        let answered = try await connection.waitForFrames(2)
        #expect(Set(answered.map(\.callID)) == [1, 2])
        #expect(answered.allSatisfy { $0.status?.code == .ok })

        try await connection.send(callFrame(4, TestMethods.publicEcho, nonce: 4))
        let next = try await connection.waitForFrames(1)
        #expect(next.map(\.callID) == [4])
        #expect(next.first?.status?.code == .ok)
        await connection.close()
    }

    @Test("a call past the server-wide limit gets RESOURCE_EXHAUSTED with a retry hint")
    func serverWideLimit() async throws {
        let connection = try await TestConnection.open(configure: { $0.maximumConcurrentCalls = 1 })
        try await connection.send(callFrame(1, TestMethods.hold, nonce: 1), callFrame(2, TestMethods.echo, nonce: 2))
        let frames = try await connection.flushedFrames()
        #expect(frames.map(\.callID) == [2])
        #expect(frames.first?.status?.code == .resourceExhausted)
        #expect(frames.first?.status?.reason == "SERVER_CALL_LIMIT")
        #expect(frames.first?.status?.retryAfterMs == 100)
        await connection.close()
    }

    @Test("an unknown method is UNIMPLEMENTED, even when the connection is at its limit")
    func unknownMethod() async throws {
        let connection = try await TestConnection.open(configure: { $0.maximumConcurrentCallsPerConnection = 1 })
        try await connection.send(
            callFrame(1, TestMethods.hold, nonce: 1),
            callFrame(2, "/mailgate.v1.Nope/Nothing", nonce: 2)
        )
        let frames = try await connection.flushedFrames()
        #expect(frames.map(\.callID) == [2])
        #expect(frames.first?.status?.code == .unimplemented)
        #expect(frames.first?.status?.message.contains("/mailgate.v1.Nope/Nothing") == true)
        await connection.close()
    }
}
