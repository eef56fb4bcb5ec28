import MailgateProto
import NIOCore

/// Sent outbound by the connection handler once a call on the connection was authenticated:
/// its frames may be as large as `maximumFrameBytes` from then on.
struct ConnectionAuthenticatedEvent: Sendable {}

/// A frame as the connection handler receives it, with the request bytes it holds in the
/// server's budget until it was handled (a call's until its handler ends).
struct ReceivedFrame {
    var frame: Mailgate_V1_Frame
    var grant: RequestByteBudget.Grant
}

/// The server side's frame reader: splits the byte stream into frames (a 4-byte big-endian
/// length, then that many bytes of protobuf) within the server's limits.
///
/// - A frame's announced length is checked before anything is buffered for it: at most
///   `maximumFrameBytes`, and `maximumUnauthenticatedFrameBytes` until a call on the connection
///   was authenticated.
/// - It is reserved in the server's `RequestByteBudget` before its body is read. When the budget
///   has no room the connection stops reading (it holds back the channel's `read`, as NIO's
///   back-pressure handlers do) until a release hands it the bytes: nothing is allocated for a
///   frame the budget has not granted, and the peer is slowed by TCP.
/// - A frame must arrive whole within `frameTimeout` of its first byte (of the grant, after a
///   wait), or the connection closes: slow senders cannot hold their reservation for long.
///
/// Violations are passed on as `FrameError` (`errorCaught`); the connection handler answers
/// them with a `GoAway` and closes. Everything here runs on the channel's event loop.
final class FrameReader: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ReceivedFrame
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// The limits one connection's frames are read under.
    struct Limits: Sendable {
        var maximumFrameBytes: Int
        var maximumUnauthenticatedFrameBytes: Int
        var frameTimeout: TimeAmount
    }

    private enum State {
        /// Between frames, or inside a length prefix: nothing reserved.
        case betweenFrames
        /// A length prefix announced `length` bytes the budget has no room for yet: not reading.
        case waitingForBudget(length: Int, waitingID: UInt64)
        /// Reading a body of `length` bytes, reserved by `grant`.
        case readingBody(length: Int, grant: RequestByteBudget.Grant)
        /// The channel closed or the framing broke: nothing more is read.
        case closed
    }

    private let limits: Limits
    private let budget: RequestByteBudget
    private let metrics: RPCMetrics

    private var state = State.betweenFrames
    /// Bytes received and not yet part of a body being read: length prefixes, small frames.
    private var pending: ByteBuffer?
    /// The body of a frame that did not arrive with its length prefix, sized to its length.
    private var body: ByteBuffer?
    private var isAuthenticated = false
    /// A `read` held back while waiting for the budget: passed on once the grant comes.
    private var isReadHeld = false
    /// When the frame being received began; nil between frames and while waiting for the budget.
    private var frameStartedAt: NIODeadline?
    private var timeoutCheck: RepeatedTask?
    private var context: ChannelHandlerContext?

    init(limits: Limits, budget: RequestByteBudget, metrics: RPCMetrics) {
        self.limits = limits
        self.budget = budget
        self.metrics = metrics
    }

    /// Bytes this connection holds in its buffers right now (its reservation aside): for tests.
    var bufferedBytes: Int { (self.pending?.readableBytes ?? 0) + (self.body?.readableBytes ?? 0) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let interval = TimeAmount.nanoseconds(
            max(self.limits.frameTimeout.nanoseconds / 4, TimeAmount.milliseconds(10).nanoseconds)
        )
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.timeoutCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.timeoutCheckFired()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stop()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closed = self.state { return }
        var incoming = Self.unwrapInboundIn(data)
        if self.pending == nil {
            self.pending = incoming
        } else {
            self.pending!.writeBuffer(&incoming)
        }
        self.readFrames(context: context)
    }

    /// Held back while the budget has no room for the frame announced; passed on otherwise.
    func read(context: ChannelHandlerContext) {
        if case .waitingForBudget = self.state {
            self.isReadHeld = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is ConnectionAuthenticatedEvent {
            self.isAuthenticated = true
            promise?.succeed(())
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    // MARK: Reading

    /// Reads every frame the buffered bytes hold, reserving each before its body.
    private func readFrames(context: ChannelHandlerContext) {
        while true {
            switch self.state {
            case .closed, .waitingForBudget:
                return
            case .betweenFrames:
                guard let pending = self.pending, pending.readableBytes > 0 else {
                    self.frameStartedAt = nil
                    return
                }
                guard
                    let announced = pending.getInteger(at: pending.readerIndex, endianness: .big, as: UInt32.self)
                else {
                    self.noteFrameStarted(context: context)
                    return
                }
                if let error = self.violation(announced: announced) {
                    self.fail(error, context: context)
                    return
                }
                self.pending!.moveReaderIndex(forwardBy: FrameDecoder.lengthFieldBytes)
                self.reserve(length: Int(announced), context: context)
            case .readingBody(let length, let grant):
                guard let frameBody = self.takeBody(length: length, context: context) else {
                    self.noteFrameStarted(context: context)
                    return
                }
                self.state = .betweenFrames
                self.frameStartedAt = nil
                let frame: Mailgate_V1_Frame
                do {
                    frame = try FrameDecoder.frame(body: frameBody)
                } catch {
                    self.budget.release(grant)
                    self.fail(error, context: context)
                    return
                }
                context.fireChannelRead(Self.wrapInboundOut(ReceivedFrame(frame: frame, grant: grant)))
            }
        }
    }

    private func violation(announced: UInt32) -> FrameError? {
        if announced == 0 { return FrameError(.emptyFrame) }
        if Int(announced) > self.limits.maximumFrameBytes {
            return FrameError(.frameTooLarge(announced: announced, limit: self.limits.maximumFrameBytes))
        }
        if !self.isAuthenticated, Int(announced) > self.limits.maximumUnauthenticatedFrameBytes {
            return FrameError(
                .unauthenticatedFrameTooLarge(announced: announced, limit: self.limits.maximumUnauthenticatedFrameBytes)
            )
        }
        return nil
    }

    /// Reserves the body's bytes, or stops reading until the budget grants them.
    private func reserve(length: Int, context: ChannelHandlerContext) {
        let grant = RequestByteBudget.Grant(bytes: length, isUnauthenticated: !self.isAuthenticated)
        if self.budget.tryReserve(grant) {
            self.state = .readingBody(length: length, grant: grant)
            return
        }
        let waitingID = self.budget.makeWaitingID()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let granted = self.budget.reserve(grant, id: waitingID) { grant in
            eventLoop.execute { loopBound.value.budgetGranted(grant) }
        }
        if granted {
            self.state = .readingBody(length: length, grant: grant)
        } else {
            self.state = .waitingForBudget(length: length, waitingID: waitingID)
            // The peer is not to blame for the wait.
            self.frameStartedAt = nil
        }
    }

    /// The budget had room at last: read the body, and the bytes held back meanwhile.
    private func budgetGranted(_ grant: RequestByteBudget.Grant) {
        guard case .waitingForBudget(let length, _) = self.state, let context = self.context else {
            // The connection closed while the grant was on its way.
            self.budget.release(grant)
            return
        }
        self.state = .readingBody(length: length, grant: grant)
        self.readFrames(context: context)
        if self.isReadHeld, !self.isWaitingForBudget {
            self.isReadHeld = false
            context.read()
        }
    }

    /// The whole body of the frame being read, once it arrived: straight from the buffered
    /// bytes when they hold all of it, else gathered in `body` (allocated once, to size).
    private func takeBody(length: Int, context: ChannelHandlerContext) -> ByteBuffer? {
        guard var pending = self.pending else { return nil }
        self.pending = nil
        defer { self.keepPending(pending) }
        if self.body == nil, pending.readableBytes >= length {
            return pending.readSlice(length: length)
        }
        if self.body == nil { self.body = context.channel.allocator.buffer(capacity: length) }
        let missing = length - self.body!.readableBytes
        var chunk = pending.readSlice(length: min(missing, pending.readableBytes))!
        self.body!.writeBuffer(&chunk)
        guard self.body!.readableBytes == length else { return nil }
        defer { self.body = nil }
        return self.body
    }

    /// Keeps the unread rest of `buffer`, letting go of its storage once it was read to the end.
    private func keepPending(_ buffer: ByteBuffer) {
        var buffer = buffer
        guard buffer.readableBytes > 0 else { return }
        if buffer.readerIndex > 16 * 1024 { buffer.discardReadBytes() }
        self.pending = buffer
    }

    private var isWaitingForBudget: Bool {
        if case .waitingForBudget = self.state { return true }
        return false
    }

    // MARK: Timeouts, errors, closing

    private func noteFrameStarted(context: ChannelHandlerContext) {
        if self.frameStartedAt == nil { self.frameStartedAt = context.eventLoop.now }
    }

    private func timeoutCheckFired() {
        guard let context = self.context, let started = self.frameStartedAt else { return }
        guard context.eventLoop.now - started >= self.limits.frameTimeout else { return }
        let milliseconds = self.limits.frameTimeout.nanoseconds / 1_000_000
        self.fail(FrameError(.frameTimedOut(milliseconds: milliseconds)), context: context)
    }

    /// Stops reading and passes the error on; the connection handler closes the connection.
    private func fail(_ error: FrameError, context: ChannelHandlerContext) {
        self.metrics.frameError(reason: error.reason)
        self.stop()
        context.fireErrorCaught(error)
    }

    /// Gives back what this connection holds in the budget and reads nothing more.
    private func stop() {
        switch self.state {
        case .readingBody(_, let grant):
            self.budget.release(grant)
        case .waitingForBudget(_, let waitingID):
            // When it was not waiting any more, its grant is on the way: `budgetGranted` releases it.
            _ = self.budget.cancelWaiting(id: waitingID)
        case .betweenFrames, .closed:
            break
        }
        self.state = .closed
        self.pending = nil
        self.body = nil
        self.frameStartedAt = nil
        self.timeoutCheck?.cancel()
        self.timeoutCheck = nil
    }
}
