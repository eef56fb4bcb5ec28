import Logging
import MailgateProto
import NIOCore

/// Sent down a connection's pipeline to start draining it: a `GoAway`, no new calls,
/// and the connection closes once its calls in flight are answered.
struct DrainConnectionEvent: Sendable {}

/// The server side of one connection. Everything here runs on the channel's event
/// loop: the call table needs no lock. Handlers run in tasks; their replies hop back
/// to the loop, where writes are coalesced into one flush per loop turn.
final class ServerConnectionHandler<Principal: Sendable>: ChannelInboundHandler {
    typealias InboundIn = Mailgate_V1_Frame
    typealias OutboundOut = Mailgate_V1_Frame

    private enum State {
        case active
        case draining
        case closed
    }

    private struct InFlightCall {
        /// Tells this call apart from a later one that reuses its call id.
        var token: UInt64
        var task: Task<Void, Never>
        var deadlineTimer: Scheduled<Void>
    }

    private let dispatcher: CallDispatcher<Principal>
    private let configuration: RPCServerConfiguration
    private let limiter: ConcurrencyLimiter
    private let servingState: ServingState
    private let logger: Logger

    private var state = State.active
    /// Calls not answered yet.
    private var calls: [UInt64: InFlightCall] = [:]
    /// Handler tasks still running, answered or not (a cancelled handler may take a
    /// while to stop): the per-connection limit counts these.
    private var runningTasks = 0
    private var nextToken: UInt64 = 0
    private var readingPaused = false
    private var flushPending = false
    private var lastActivity = NIODeadline.now()
    private var idleCheck: RepeatedTask?
    private var peer = "unknown"
    private var context: ChannelHandlerContext?

    init(
        dispatcher: CallDispatcher<Principal>,
        configuration: RPCServerConfiguration,
        limiter: ConcurrencyLimiter,
        servingState: ServingState,
        logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.limiter = limiter
        self.servingState = servingState
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown"
    }

    func channelActive(context: ChannelHandlerContext) {
        self.lastActivity = .now()
        let idle = self.configuration.idleTimeout
        let interval = TimeAmount.nanoseconds(max(idle.nanoseconds / 4, TimeAmount.milliseconds(10).nanoseconds))
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.closeIfIdle()
        }
        context.fireChannelActive()
        // A connection accepted while the server began to drain drains at once.
        if self.servingState.isDraining { self.beginDraining(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state = .closed
        self.idleCheck?.cancel()
        // Each task releases its server-wide slot when it actually ends.
        for call in self.calls.values {
            call.task.cancel()
            call.deadlineTimer.cancel()
        }
        self.calls.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastActivity = .now()
        switch frame.kind {
        case .call(let call):
            self.startCall(call, callID: frame.callID, context: context)
        case .cancel:
            self.cancelCall(frame.callID, context: context)
        case .ping(let ping):
            self.write(.pong(callID: frame.callID, nonce: ping.nonce), context: context)
        case .pong:
            break
        case .reply, .goAway, .none:
            self.closeWithProtocolError(
                RPCError(
                    code: .invalidArgument,
                    message: "clients may send only Call, Cancel, Ping and Pong frames",
                    reason: "UNEXPECTED_FRAME"
                ),
                context: context
            )
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Back-pressure: a peer that does not read its replies stops being read from, so
    /// replies and pongs cannot pile up without bound.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if writable == self.readingPaused {
            self.readingPaused = !writable
            context.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
            if writable { context.read() }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            self.logger.notice(
                "closing connection after a framing error",
                metadata: ["peer": "\(self.peer)", "error": "\(frameError)"]
            )
            self.closeWithProtocolError(frameError.rpcError, context: context)
        } else {
            self.logger.debug("connection error", metadata: ["peer": "\(self.peer)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainConnectionEvent {
            self.beginDraining(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Calls

    private func startCall(_ call: Mailgate_V1_Call, callID: UInt64, context: ChannelHandlerContext) {
        guard self.state == .active else {
            if self.state == .draining {
                self.write(
                    .reply(
                        callID: callID,
                        error: RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING")
                    ),
                    context: context
                )
            }
            return
        }
        if self.calls[callID] != nil {
            // Answering under an id that is still in flight would give that id two replies.
            self.closeWithProtocolError(
                RPCError(
                    code: .invalidArgument,
                    message: "call_id \(callID) is already in flight on this connection",
                    reason: "DUPLICATE_CALL_ID"
                ),
                context: context
            )
            return
        }
        guard let method = self.dispatcher.router.method(named: call.method) else {
            self.write(
                .reply(
                    callID: callID,
                    error: RPCError(
                        code: .unimplemented,
                        message: "Unknown method \(call.method).",
                        reason: "UNKNOWN_METHOD"
                    )
                ),
                context: context
            )
            return
        }
        guard self.runningTasks < self.configuration.maximumConcurrentCallsPerConnection else {
            self.write(
                .reply(
                    callID: callID,
                    error: RPCError(
                        code: .resourceExhausted,
                        message:
                            "More than \(self.configuration.maximumConcurrentCallsPerConnection) calls in flight on this connection.",
                        reason: "CONNECTION_CALL_LIMIT"
                    )
                ),
                context: context
            )
            return
        }
        guard self.limiter.tryAcquire() else {
            self.write(
                .reply(
                    callID: callID,
                    error: RPCError(
                        code: .resourceExhausted,
                        message: "The server has \(self.limiter.limit) calls in flight; try again shortly.",
                        reason: "SERVER_CALL_LIMIT",
                        retryAfterMilliseconds: 100
                    )
                ),
                context: context
            )
            return
        }

        let timeout =
            call.timeoutMs == 0
            ? self.configuration.defaultTimeout
            : min(.milliseconds(Int64(call.timeoutMs)), self.configuration.maximumTimeout)
        let deadline = NIODeadline.now() + timeout
        let eventLoop = context.eventLoop
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let dispatcher = self.dispatcher
        let limiter = self.limiter
        let peer = self.peer
        self.nextToken &+= 1
        let token = self.nextToken
        self.runningTasks += 1
        let task = Task {
            let reply = await dispatcher.reply(to: call, callID: callID, method: method, deadline: deadline, peer: peer)
            limiter.release()
            eventLoop.execute { loopBound.value.taskEnded(callID, token: token, reply: reply) }
        }
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.expireCall(callID, token: token)
        }
        self.calls[callID] = InFlightCall(token: token, task: task, deadlineTimer: timer)
    }

    /// A handler task ended: answer its call unless the deadline or a Cancel already did.
    private func taskEnded(_ callID: UInt64, token: UInt64, reply: Mailgate_V1_Frame) {
        self.runningTasks -= 1
        guard let context = self.context, let call = self.calls[callID], call.token == token else { return }
        self.calls.removeValue(forKey: callID)
        call.deadlineTimer.cancel()
        self.write(reply, context: context)
        self.scheduleFlush(context: context)
        self.closeIfDrained(context: context)
    }

    private func expireCall(_ callID: UInt64, token: UInt64) {
        guard let context = self.context, let call = self.calls[callID], call.token == token else { return }
        self.calls.removeValue(forKey: callID)
        call.task.cancel()
        self.write(
            .reply(callID: callID, error: RPCError(code: .deadlineExceeded, message: "The call's deadline passed.")),
            context: context
        )
        self.scheduleFlush(context: context)
        self.closeIfDrained(context: context)
    }

    private func cancelCall(_ callID: UInt64, context: ChannelHandlerContext) {
        guard let call = self.calls.removeValue(forKey: callID) else { return }
        call.task.cancel()
        call.deadlineTimer.cancel()
        self.write(
            .reply(callID: callID, error: RPCError(code: .cancelled, message: "The call was cancelled by the client.")),
            context: context
        )
        self.closeIfDrained(context: context)
    }

    // MARK: Writing and closing

    private func write(_ frame: Mailgate_V1_Frame, context: ChannelHandlerContext) {
        guard self.state != .closed else { return }
        context.write(Self.wrapOutboundOut(frame), promise: nil)
        self.flushPending = true
    }

    /// Flushes after the tasks already queued on the loop have run, so replies that
    /// finish together leave in one write.
    private func scheduleFlush(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = loopBound.value
            if let context = handler.context { handler.flushIfNeeded(context: context) }
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard self.flushPending else { return }
        self.flushPending = false
        context.flush()
    }

    private func beginDraining(context: ChannelHandlerContext) {
        guard self.state == .active else { return }
        self.state = .draining
        self.write(
            .goAway(RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING")),
            context: context
        )
        self.flushIfNeeded(context: context)
        self.closeIfDrained(context: context)
    }

    private func closeIfDrained(context: ChannelHandlerContext) {
        guard self.state == .draining, self.calls.isEmpty else { return }
        self.flushIfNeeded(context: context)
        context.close(promise: nil)
    }

    private func closeIfIdle() {
        guard self.state == .active, self.calls.isEmpty, let context = self.context else { return }
        guard NIODeadline.now() - self.lastActivity >= self.configuration.idleTimeout else { return }
        self.logger.debug("closing idle connection", metadata: ["peer": "\(self.peer)"])
        self.closeWithProtocolError(
            RPCError(code: .ok, message: "Idle connection closed.", reason: "IDLE_TIMEOUT"),
            context: context
        )
    }

    private func closeWithProtocolError(_ error: RPCError, context: ChannelHandlerContext) {
        guard self.state != .closed else { return }
        // No frame is written after the GoAway: calls still running are cancelled when the channel closes.
        self.state = .closed
        self.flushPending = false
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.goAway(error))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
