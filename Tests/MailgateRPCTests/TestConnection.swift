import Logging
import MailgateProto
import NIOCore
import NIOEmbedded
import Testing

@testable import MailgateRPC

/// One server connection in the pipeline `RPCServer` builds (frame reader, frame encoder,
/// connection handler), on a `NIOAsyncTestingChannel`, serving the test router plus `hold`.
/// A `FlushCounter` in front of the pipeline counts the flushes that reach the socket.
///
/// A `NIOAsyncTestingChannel` rather than an `EmbeddedChannel`: call handlers run in tasks
/// whose replies hop back to the loop from other threads, which `EmbeddedEventLoop` (not
/// thread-safe) does not allow. Its clock is virtual all the same: deadlines and the idle
/// check fire on `advanceTime(by:)`, never on their own.
struct TestConnection {
    let channel: NIOAsyncTestingChannel
    let observations: Observations
    let gate: Gate
    let flushes: FlushCounter
    let reads: ReadCounter
    /// The server-wide request budget: this connection's alone unless shared through `open`.
    let budget: RequestByteBudget

    /// A connection, active, on a server configured by `configure` (defaults otherwise), with
    /// `budget` as the server's request budget (one of its own when nil).
    static func open(
        configure: (inout RPCServerConfiguration) -> Void = { _ in },
        servingState: ServingState = ServingState(),
        budget: RequestByteBudget? = nil
    ) async throws -> TestConnection {
        var settings = RPCServerConfiguration(host: "127.0.0.1", port: 0)
        // The testing loop runs only when told to: handlers run on the global executor.
        settings.runsCallsOnEventLoop = false
        configure(&settings)
        let configuration = settings
        let observations = Observations()
        let gate = Gate()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let dispatcher = CallDispatcher(
            router: TestMethods.router(observations: observations, gate: gate),
            authenticator: TestAuthenticator(),
            logger: logger,
            maximumReplyPayloadBytes: configuration.maximumFrameBytes - 1024,
            metrics: RPCMetrics(),
            tracer: nil
        )
        let limiter = ConcurrencyLimiter(limit: configuration.maximumConcurrentCalls)
        let budget =
            budget
            ?? RequestByteBudget(
                limit: configuration.maximumRequestBytesInFlight,
                unauthenticatedLimit: configuration.maximumUnauthenticatedRequestBytesInFlight
            )
        let limits = FrameReader.Limits(
            maximumFrameBytes: configuration.maximumFrameBytes,
            maximumUnauthenticatedFrameBytes: configuration.maximumUnauthenticatedFrameBytes,
            frameTimeout: configuration.frameTimeout
        )
        let channel = NIOAsyncTestingChannel()
        let flushes = FlushCounter()
        let reads = ReadCounter()
        try await channel.testingEventLoop.executeInContext { [logger] in
            try channel.pipeline.syncOperations.addHandlers(
                flushes,
                reads,
                FrameReader(limits: limits, budget: budget, metrics: RPCMetrics()),
                MessageToByteHandler(FrameEncoder()),
                ServerConnectionHandler(
                    dispatcher: dispatcher,
                    configuration: configuration,
                    limiter: limiter,
                    budget: budget,
                    servingState: servingState,
                    logger: logger
                )
            )
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        return TestConnection(
            channel: channel,
            observations: observations,
            gate: gate,
            flushes: flushes,
            reads: reads,
            budget: budget
        )
    }

    var isActive: Bool { self.channel.isActive }

    /// Sends `frames` in one read, as one TCP segment carrying them all would arrive.
    func send(_ frames: Mailgate_V1_Frame...) async throws {
        try await self.send(bytes: frames.flatMap(framed))
    }

    /// Sends raw bytes in one read.
    func send(bytes: [UInt8]) async throws {
        try await self.channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// The frames the server flushed since the last look, without waiting for more.
    func flushedFrames() async throws -> [Mailgate_V1_Frame] {
        var frames: [Mailgate_V1_Frame] = []
        while var buffer = try await self.channel.readOutbound(as: ByteBuffer.self) {
            while let frame = try FrameDecoder().decodeFrame(from: &buffer) { frames.append(frame) }
        }
        return frames
    }

    /// Waits up to 30 s for the server to flush `count` frames: the replies of handler tasks
    /// come back from other threads, which the whole suite's load on 2 cores can delay
    /// (11 s seen). Returns all frames flushed meanwhile; a missing reply still fails.
    func waitForFrames(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> [Mailgate_V1_Frame]
    {
        let deadline = ContinuousClock.now + .seconds(30)
        var frames = try await self.flushedFrames()
        while frames.count < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(count) frames expected within 30 s, got \(frames)", sourceLocation: sourceLocation)
                break
            }
            try await Task.sleep(for: .milliseconds(5))
            frames += try await self.flushedFrames()
        }
        return frames
    }

    /// Asks the channel to read, as it does after each read when `autoRead` is on.
    func requestRead() async throws {
        try await self.channel.testingEventLoop.executeInContext { self.channel.pipeline.syncOperations.read() }
    }

    /// Moves the loop's clock: deadlines and idle checks due by then fire.
    func advanceTime(by amount: TimeAmount) async {
        await self.channel.testingEventLoop.advanceTime(by: amount)
    }

    /// What `RPCServer` sends every connection when graceful shutdown begins.
    func drain() async throws {
        try await self.channel.testingEventLoop.executeInContext {
            self.channel.pipeline.syncOperations.fireUserInboundEventTriggered(DrainConnectionEvent())
        }
    }

    /// Lets held handlers finish and closes the channel if the test left it open.
    func close() async {
        self.gate.open()
        if self.channel.isActive { try? await self.channel.close() }
    }
}

extension Mailgate_V1_Frame {
    /// The status of a Reply or GoAway frame; nil for other frames.
    var status: Mailgate_V1_Status? {
        switch self.kind {
        case .reply(let reply): reply.status
        case .goAway(let goAway): goAway.status
        default: nil
        }
    }

    /// Whether this is a GoAway frame.
    var isGoAway: Bool {
        if case .goAway = self.kind { return true }
        return false
    }
}
