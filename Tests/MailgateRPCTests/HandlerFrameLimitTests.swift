import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection handler: frame limits before authentication, and slow frames")
struct HandlerFrameLimitTests {
    static func limits(_ configuration: inout RPCServerConfiguration) {
        configuration.maximumUnauthenticatedFrameBytes = 16 * 1024
        configuration.frameTimeout = .seconds(1)
    }

    /// The 4-byte length prefix announcing `length`.
    static func prefix(_ length: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(length).bigEndian) { Array($0) }
    }

    @Test("the frame helper makes frames of the length asked for")
    func paddedFrameLength() {
        #expect(framed(paddedCallFrame(1, TestMethods.echo, nonce: 1, bytes: 40_000)).count == 40_004)
    }

    @Test("before any authenticated call, a frame over the smaller limit is refused from its length prefix alone")
    func unauthenticatedLimit() async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        try await connection.send(bytes: Self.prefix(16 * 1024 + 1))
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status?.code == .resourceExhausted)
        #expect(frames.first?.status?.reason == "UNAUTHENTICATED_FRAME_TOO_LARGE")
        #expect(frames.first?.status?.message.contains("WhoAmI") == true, "it says how to get past it")
        #expect(!connection.isActive)
        #expect(connection.budget.reserved == 0)
        await connection.close()
    }

    @Test(
        "calls that did not authenticate anyone keep the smaller limit: a public method, a wrong key",
        arguments: [(TestMethods.publicEcho, goodKey), (TestMethods.echo, ["authorization": "Bearer wrong"])]
    )
    func stillUnauthenticated(method: String, metadata: [String: String]) async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        try await connection.send(callFrame(1, method, nonce: 1, metadata: metadata))
        #expect(try await connection.waitForFrames(1).map(\.callID) == [1])
        try await connection.send(paddedCallFrame(2, TestMethods.echo, nonce: 2, bytes: 20_000))
        let frames = try await connection.flushedFrames()
        #expect(frames.map { $0.status?.reason } == ["UNAUTHENTICATED_FRAME_TOO_LARGE"])
        await connection.close()
    }

    @Test("once a call was authenticated, the connection's frames may be as large as the frame limit")
    func authenticatedLimit() async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        try await connection.send(callFrame(1, TestMethods.whoAmI, nonce: 1))
        #expect(try await connection.waitForFrames(1).first?.status?.code == .ok)
        try await connection.send(paddedCallFrame(2, TestMethods.echo, nonce: 2, bytes: 200_000))
        let frames = try await connection.waitForFrames(1)
        #expect(frames.map(\.callID) == [2])
        #expect(frames.first?.status?.code == .ok)
        #expect(connection.isActive)
        await connection.close()
    }

    @Test("a frame not whole within the frame timeout closes the connection (FRAME_TIMEOUT) and gives its bytes back")
    func slowFrame() async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        let bytes = framed(callFrame(1, TestMethods.echo, nonce: 1))
        try await connection.send(bytes: Array(bytes.prefix(10)))
        #expect(connection.budget.reserved == bytes.count - 4, "the announced frame is reserved")
        await connection.advanceTime(by: .milliseconds(900))
        #expect(try await connection.flushedFrames().isEmpty)
        #expect(connection.isActive)
        await connection.advanceTime(by: .milliseconds(350))
        let frames = try await connection.flushedFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.isGoAway == true)
        #expect(frames.first?.status?.code == .deadlineExceeded)
        #expect(frames.first?.status?.reason == "FRAME_TIMEOUT")
        #expect(!connection.isActive)
        #expect(connection.budget.reserved == 0)
        await connection.close()
    }

    @Test(
        "a frame arriving in pieces within the timeout is read; the next frame's clock starts with its own first byte"
    )
    func framesInPieces() async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        let bytes = framed(callFrame(1, TestMethods.publicEcho, nonce: 1))
        try await connection.send(bytes: Array(bytes.prefix(3)))
        await connection.advanceTime(by: .milliseconds(500))
        try await connection.send(bytes: Array(bytes.dropFirst(3).prefix(10)))
        await connection.advanceTime(by: .milliseconds(400))
        try await connection.send(bytes: Array(bytes.dropFirst(13)))
        #expect(try await connection.waitForFrames(1).map(\.callID) == [1])
        await connection.advanceTime(by: .seconds(5))
        #expect(connection.isActive, "no frame begun, nothing to time out")
        await connection.close()
    }

    @Test("a call's request bytes stay reserved until its handler ends")
    func heldWhileHandled() async throws {
        let connection = try await TestConnection.open(configure: Self.limits)
        try await connection.send(callFrame(1, TestMethods.whoAmI, nonce: 1))
        _ = try await connection.waitForFrames(1)
        #expect(connection.budget.reserved == 0)
        try await connection.send(paddedCallFrame(2, TestMethods.hold, nonce: 2, bytes: 50_000))
        try await waitUntil { connection.observations.startedCount == 1 }
        #expect(connection.budget.reserved == 50_000)
        connection.gate.open()
        #expect(try await connection.waitForFrames(1).map(\.callID) == [2])
        try await waitUntil { connection.budget.reserved == 0 }
        await connection.close()
    }
}
