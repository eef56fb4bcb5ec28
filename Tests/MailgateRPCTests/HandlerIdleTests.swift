import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: idle timeout")
struct HandlerIdleTests {
    @Test("an idle connection gets an OK GoAway (IDLE_TIMEOUT) and is closed once the idle timeout passes")
    func idleTimeout() async throws {
        let connection = try await TestConnection.open(configure: { $0.idleTimeout = .milliseconds(200) })
        await connection.advanceTime(by: .milliseconds(199))
        #expect(try await connection.flushedFrames().isEmpty)
        #expect(connection.isActive)
        await connection.advanceTime(by: .milliseconds(1))
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status?.code == .ok)
        #expect(frames.first?.status?.reason == "IDLE_TIMEOUT")
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("any frame restarts the idle clock")
    func frameRestartsClock() async throws {
        let connection = try await TestConnection.open(configure: { $0.idleTimeout = .milliseconds(200) })
        await connection.advanceTime(by: .milliseconds(100))
        try await connection.send(.ping(nonce: 1))
        #expect(try await connection.flushedFrames().count == 1, "the Pong")
        await connection.advanceTime(by: .milliseconds(199))
        #expect(connection.isActive)
        await connection.advanceTime(by: .milliseconds(1))
        #expect(try await connection.flushedFrames().map { $0.status?.reason } == ["IDLE_TIMEOUT"])
        #expect(!connection.isActive)
        await connection.close()
    }

    @Test("a connection with a call in flight is not idle; once answered, its idle time counts from its last frame")
    func busyIsNotIdle() async throws {
        let connection = try await TestConnection.open(configure: { $0.idleTimeout = .milliseconds(200) })
        try await connection.send(callFrame(1, TestMethods.hold, nonce: 1, timeoutMs: 60_000))
        await connection.advanceTime(by: .seconds(10))
        #expect(try await connection.flushedFrames().isEmpty)
        #expect(connection.isActive)
        connection.gate.open()
        #expect(try await connection.waitForFrames(1).map { $0.status?.code } == [.ok])
        // The next check (every 50 ms) finds the call answered and the last frame 10 s old.
        await connection.advanceTime(by: .milliseconds(50))
        #expect(try await connection.flushedFrames().map { $0.status?.reason } == ["IDLE_TIMEOUT"])
        #expect(!connection.isActive)
        await connection.close()
    }
}
