import Logging
import MailgateProto
import NIOCore
import Synchronization

/// Sent down a connection's pipeline to start draining it: a `GoAway`, no new calls,
/// and the connection closes once its calls in flight are answered.
struct DrainConnectionEvent: Sendable {}

/// The server side of one connection. Everything here runs on the channel's event
/// loop: the state needs no lock. Handlers run in tasks; their replies hop back
/// to the loop, where writes are coalesced into one flush per loop turn.
///
/// The decisions (limits, deadlines, drain, idleness, flushing) are `StateMachine`'s;
/// this class feeds it the channel's events and carries out what it returns.
final class ServerConnectionHandler<Principal: Sendable>: ChannelInboundHandler {
    typealias InboundIn = ReceivedFrame
    typealias OutboundOut = Mailgate_V1_Frame

    /// What stops a call's work: its handler task and its deadline timer.
    struct CallWork {
        var task: Task<Void, Never>
        var deadlineTimer: Scheduled<Void>
    }

    /// Whether a call on this connection was authenticated, as handler tasks see it: only the
    /// first authenticated call hops to the event loop to say so.
    final class AuthenticatedOnce: Sendable {
        private let done = Atomic<Bool>(false)

        /// True the first time only.
        func mark() -> Bool {
            !self.done.exchange(true, ordering: .relaxed)
        }
    }

    private let dispatcher: CallDispatcher<Principal>
    private let limiter: ConcurrencyLimiter
    private let budget: RequestByteBudget
    private let servingState: ServingState
    private let logger: Logger

    private var stateMachine: StateMachine<CallWork>
    private let authenticatedOnce = AuthenticatedOnce()
    private var idleCheck: RepeatedTask?
    private var peer = PeerAddress(nil)
    private var context: ChannelHandlerContext?
    /// Where this connection's call tasks run: its event loop (set when the handler is added), or
    /// the global executor when nil.
    private var executor: EventLoopTaskExecutor?
    private let runsCallsOnEventLoop: Bool
    /// Calls with larger requests than this run on the global executor, not on the loop.
    static var largestRequestOnLoop: Int { 64 * 1024 }

    init(
        dispatcher: CallDispatcher<Principal>,
        configuration: RPCServerConfiguration,
        limiter: ConcurrencyLimiter,
        budget: RequestByteBudget,
        servingState: ServingState,
        logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.limiter = limiter
        self.budget = budget
        self.servingState = servingState
        self.logger = logger
        self.runsCallsOnEventLoop = configuration.runsCallsOnEventLoop
        self.stateMachine = StateMachine(
            maximumCallsPerConnection: configuration.maximumConcurrentCallsPerConnection,
            maximumServerCalls: limiter.limit,
            defaultTimeout: configuration.defaultTimeout,
            maximumTimeout: configuration.maximumTimeout,
            idleTimeout: configuration.idleTimeout
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.peer = PeerAddress(context.channel.remoteAddress)
        if self.runsCallsOnEventLoop { self.executor = EventLoopTaskExecutor(context.eventLoop) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.stateMachine.channelActive(at: context.eventLoop.now)
        let interval = self.stateMachine.idleCheckInterval
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.idleCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.idleCheckFired()
        }
        context.fireChannelActive()
        // A connection accepted while the server began to drain drains at once.
        if self.servingState.isDraining { self.drain(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.idleCheck?.cancel()
        // Each task releases its server-wide slot when it actually ends.
        for work in self.stateMachine.channelInactive() {
            work.task.cancel()
            work.deadlineTimer.cancel()
        }
        context.fireChannelInactive()
    }

    /// A frame's bytes stay reserved in the budget while it is handled: a dispatched call's until
    /// its handler ends, any other frame's until it was read here.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let received = Self.unwrapInboundIn(data)
        let frame = received.frame
        let now = context.eventLoop.now
        self.stateMachine.frameReceived(at: now)
        guard case .call(let call) = frame.kind else {
            self.receiveConnectionFrame(frame, context: context)
            self.budget.release(received.grant)
            return
        }
        if !self.receiveCall(call, callID: frame.callID, grant: received.grant, now: now, context: context) {
            self.budget.release(received.grant)
        }
    }

    private func receiveConnectionFrame(_ frame: Mailgate_V1_Frame, context: ChannelHandlerContext) {
        switch frame.kind {
        case .cancel:
            self.receiveCancel(frame.callID, context: context)
        case .ping(let ping):
            if case .sendPong = self.stateMachine.pingReceived() {
                context.write(Self.wrapOutboundOut(.pong(callID: frame.callID, nonce: ping.nonce)), promise: nil)
            }
        case .pong:
            break
        case .call, .reply, .goAway, .none:
            self.perform(self.stateMachine.unexpectedFrameReceived(), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .flush = self.stateMachine.readComplete() { context.flush() }
        context.fireChannelReadComplete()
    }

    /// Back-pressure: a peer that does not read its replies stops being read from.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        switch self.stateMachine.writabilityChanged(isWritable: context.channel.isWritable) {
        case .pauseReading:
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        case .resumeReading:
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
        case .none:
            break
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            // Debug only: a flood of hostile connections must not flood the logs too. The frame
            // reader counts them in `mailgate_rpc_frame_errors_total`.
            self.logger.debug(
                "closing connection after a framing error",
                metadata: ["peer": "\(self.peer)", "error": "\(frameError)"]
            )
            self.perform(self.stateMachine.frameErrorCaught(frameError), context: context)
        } else {
            self.logger.debug("connection error", metadata: ["peer": "\(self.peer)", "error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainConnectionEvent {
            self.drain(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Calls

    /// Returns whether the call was dispatched: its handler then owns `grant`.
    private func receiveCall(
        _ call: Mailgate_V1_Call,
        callID: UInt64,
        grant: RequestByteBudget.Grant,
        now: NIODeadline,
        context: ChannelHandlerContext
    ) -> Bool {
        let method = self.dispatcher.router.method(named: call.method)
        let action = self.stateMachine.callReceived(
            callID: callID,
            method: call.method,
            isKnownMethod: method != nil,
            timeoutMilliseconds: call.timeoutMs,
            now: now,
            acquireServerSlot: { self.limiter.tryAcquire() }
        )
        switch action {
        case .dispatch(let token, let deadline):
            // The state machine dispatches known methods only.
            self.dispatch(
                call,
                callID: callID,
                method: method!,
                token: token,
                deadline: deadline,
                grant: grant,
                context: context
            )
            return true
        case .reply(let error):
            context.write(Self.wrapOutboundOut(.reply(callID: callID, error: error)), promise: nil)
        case .goAwayThenClose(let error):
            self.perform(.goAwayThenClose(error), context: context)
        case .none:
            break
        }
        return false
    }

    private func dispatch(
        _ call: Mailgate_V1_Call,
        callID: UInt64,
        method: RPCRouter<Principal>.Method,
        token: UInt64,
        deadline: NIODeadline,
        grant: RequestByteBudget.Grant,
        context: ChannelHandlerContext
    ) {
        let eventLoop = context.eventLoop
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let dispatcher = self.dispatcher
        let limiter = self.limiter
        let budget = self.budget
        let peer = self.peer
        let authenticatedOnce = self.authenticatedOnce
        // A call with a large request (decoding, composing and copying it take long) runs on the
        // global executor: on the loop it would hold up every connection the loop serves.
        let executor = call.payload.count <= Self.largestRequestOnLoop ? self.executor : nil
        let task = Task(executorPreference: executor) {
            let reply = await dispatcher.reply(
                to: call,
                callID: callID,
                method: method,
                deadline: deadline,
                peer: peer,
                authenticated: {
                    if authenticatedOnce.mark() { eventLoop.execute { loopBound.value.callAuthenticated() } }
                }
            )
            limiter.release()
            budget.release(grant)
            // Usually still on the loop (see EventLoopTaskExecutor): then without another hop.
            if eventLoop.inEventLoop {
                loopBound.value.handlerFinished(callID, token: token, reply: reply)
            } else {
                eventLoop.execute { loopBound.value.handlerFinished(callID, token: token, reply: reply) }
            }
        }
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.deadlinePassed(callID, token: token)
        }
        self.stateMachine.callDispatched(
            callID: callID,
            token: token,
            handle: CallWork(task: task, deadlineTimer: timer)
        )
    }

    /// The first authenticated call lifts the frame reader's limit for unauthenticated connections.
    private func callAuthenticated() {
        guard let context = self.context, self.stateMachine.callAuthenticated() else { return }
        context.triggerUserOutboundEvent(ConnectionAuthenticatedEvent(), promise: nil)
    }

    /// A handler task ended: answer its call unless the deadline or a Cancel already did.
    private func handlerFinished(_ callID: UInt64, token: UInt64, reply: Mailgate_V1_Frame) {
        let action = self.stateMachine.handlerFinished(callID: callID, token: token)
        guard let context = self.context else { return }
        self.answer(action, cancelling: { $0.deadlineTimer.cancel() }, with: { reply }, context: context)
    }

    private func deadlinePassed(_ callID: UInt64, token: UInt64) {
        let action = self.stateMachine.deadlinePassed(callID: callID, token: token)
        guard let context = self.context else { return }
        self.answer(
            action,
            cancelling: { $0.task.cancel() },
            with: {
                .reply(callID: callID, error: RPCError(code: .deadlineExceeded, message: "The call's deadline passed."))
            },
            context: context
        )
    }

    /// Answered at once: the read's completion flushes the reply.
    private func receiveCancel(_ callID: UInt64, context: ChannelHandlerContext) {
        self.answer(
            self.stateMachine.cancelReceived(callID: callID),
            cancelling: { work in
                work.task.cancel()
                work.deadlineTimer.cancel()
            },
            with: {
                .reply(
                    callID: callID,
                    error: RPCError(code: .cancelled, message: "The call was cancelled by the client.")
                )
            },
            schedulingFlush: false,
            context: context
        )
    }

    /// Carries out how a call was answered: `cancel` stops what is left of its work, and `reply`
    /// is written unless the connection is closed.
    private func answer(
        _ action: StateMachine<CallWork>.AnswerAction,
        cancelling cancel: (CallWork) -> Void,
        with reply: () -> Mailgate_V1_Frame,
        schedulingFlush: Bool = true,
        context: ChannelHandlerContext
    ) {
        switch action {
        case .reply(let work), .replyAndClose(let work):
            cancel(work)
            context.write(Self.wrapOutboundOut(reply()), promise: nil)
            if schedulingFlush { self.scheduleFlush(context: context) }
            if case .replyAndClose = action {
                context.flush()
                context.close(promise: nil)
            }
        case .cancelWork(let work):
            cancel(work)
        case .none:
            break
        }
    }

    // MARK: Flushing, draining and closing

    /// Flushes after the tasks already queued on the loop have run, so replies that
    /// finish together leave in one write.
    private func scheduleFlush(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = loopBound.value
            if let context = handler.context, case .flush = handler.stateMachine.scheduledFlushFired() {
                context.flush()
            }
        }
    }

    private func drain(context: ChannelHandlerContext) {
        switch self.stateMachine.drainRequested() {
        case .sendGoAway(let error):
            context.writeAndFlush(Self.wrapOutboundOut(.goAway(error)), promise: nil)
        case .sendGoAwayAndClose(let error):
            context.writeAndFlush(Self.wrapOutboundOut(.goAway(error)), promise: nil)
            context.close(promise: nil)
        case .none:
            break
        }
    }

    private func idleCheckFired() {
        guard let context = self.context else { return }
        let action = self.stateMachine.idleCheckFired(now: context.eventLoop.now)
        if case .goAwayThenClose = action {
            self.logger.debug("closing idle connection", metadata: ["peer": "\(self.peer)"])
        }
        self.perform(action, context: context)
    }

    private func perform(_ action: StateMachine<CallWork>.CloseAction, context: ChannelHandlerContext) {
        switch action {
        case .goAwayThenClose(let error):
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(.goAway(error))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .none:
            break
        }
    }
}
