import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: drain")
struct HandlerDrainTests {
    @Test("draining a connection with no call in flight sends a GoAway (DRAINING) and closes it")
    func drainIdle() async throws {
        let connection = try await TestConnection.open()
        try await connection.drain()
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status?.code == .unavailable)
        #expect(frames.first?.status?.reason == "DRAINING")
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("a draining connection refuses new calls UNAVAILABLE, answers its calls in flight, then closes")
    func drainBusy() async throws {
        let connection = try await TestConnection.open()
        try await connection.send(callFrame(1, TestMethods.hold, nonce: 7))
        try await connection.drain()
        #expect(try await connection.flushedFrames().map { $0.status?.reason } == ["DRAINING"])
        #expect(connection.isActive)

        try await connection.send(callFrame(2, TestMethods.publicEcho, nonce: 2), .ping(nonce: 3))
        let meanwhile = try await connection.flushedFrames()
        #expect(meanwhile.count == 2)
        #expect(meanwhile.first?.callID == 2)
        #expect(meanwhile.first?.status?.code == .unavailable)
        guard case .pong = meanwhile.last?.kind else {
            Issue.record("a draining connection still answers pings: \(meanwhile)")
            return
        }
        #expect(connection.isActive)

        connection.gate.open()
        let last = try await connection.waitForFrames(1)
        #expect(last.map(\.callID) == [1])
        #expect(last.first?.status?.code == .ok)
        try await waitUntil { !connection.isActive }
        await connection.close()
    }

    @Test("a connection accepted after the server began to drain gets a GoAway at once and closes")
    func acceptedWhileDraining() async throws {
        let servingState = ServingState()
        servingState.beginDraining()
        let connection = try await TestConnection.open(servingState: servingState)
        #expect(try await connection.flushedFrames().map { $0.status?.reason } == ["DRAINING"])
        #expect(!connection.isActive)
        await connection.close()
    }
}
