import MailgateProto
import NIOCore

extension ServerConnectionHandler {
    /// The decisions of one server connection, as a value: which calls are in flight, which
    /// limits apply, when the connection drains or closes, when to flush and when to stop reading.
    ///
    /// Every event returns what to do; the handler does it. Nothing here touches a channel, a
    /// loop or a clock (times are passed in), so each rule is testable on its own. `CallHandle` is
    /// whatever cancels a call's work: a handler task and a deadline timer in the server.
    ///
    /// Not thread-safe: like the handler that owns it, it lives on one event loop.
    struct StateMachine<CallHandle> {
        /// Whether the connection takes calls.
        enum ConnectionState: Equatable {
            /// Takes new calls.
            case active
            /// Sent its `GoAway`: refuses new calls, closes once its calls are answered.
            case draining
            /// The channel closed, or a protocol error's `GoAway` is on its way: nothing more is written.
            case closed
        }

        /// A call not answered yet.
        struct Call {
            /// Tells this call apart from a later one that reuses its call id.
            var token: UInt64
            var handle: CallHandle
        }

        /// What to do with a `Call` frame.
        enum CallAction: Equatable {
            /// Start the call's handler and arm its deadline, then report both with `callDispatched`.
            case dispatch(token: UInt64, deadline: NIODeadline)
            /// Refuse the call: reply with this error.
            case reply(RPCError)
            /// The frame breaks the protocol: send a `GoAway` with this error, then close.
            case goAwayThenClose(RPCError)
            /// Ignore the frame: the connection is closed.
            case none
        }

        /// What to do once a call's outcome is known: its handler finished, its deadline
        /// passed, or the client cancelled it.
        enum AnswerAction {
            /// Stop what is left of the call's work and send its reply.
            case reply(CallHandle)
            /// As `reply`; that answered the last call of a draining connection, so flush and close.
            case replyAndClose(CallHandle)
            /// Stop what is left of the call's work; the connection is closed, so nothing is sent.
            case cancelWork(CallHandle)
            /// Nothing: the call was answered already, or is not known.
            case none
        }

        /// What to do when the connection must end because of the peer or the idle timeout.
        enum CloseAction: Equatable {
            /// Send a `GoAway` with this error, flushing what was written before it, and close
            /// once it is written. No frame follows it.
            case goAwayThenClose(RPCError)
            /// Nothing: the connection is closed already.
            case none
        }

        /// What to do when the server starts draining.
        enum DrainAction: Equatable {
            /// Send and flush a `GoAway` with this error; the connection closes with its last call.
            case sendGoAway(RPCError)
            /// Send and flush a `GoAway` with this error, then close: no call is in flight.
            case sendGoAwayAndClose(RPCError)
            /// Nothing: the connection is draining or closed already.
            case none
        }

        /// What to do with a `Ping` frame.
        enum PingAction: Equatable {
            case sendPong
            case none
        }

        /// Whether writes are waiting for a flush.
        enum FlushAction: Equatable {
            case flush
            case none
        }

        /// What to do when the channel's writability changes.
        enum ReadingAction: Equatable {
            /// The peer does not read its replies: stop reading its frames.
            case pauseReading
            /// The peer reads again: read its frames again.
            case resumeReading
            case none
        }

        /// Calls in flight on this connection before further calls are refused.
        let maximumCallsPerConnection: Int
        /// Calls in flight across the server before further calls are refused (for the message).
        let maximumServerCalls: Int
        /// The deadline of calls that send no timeout.
        let defaultTimeout: TimeAmount
        /// The longest deadline any call gets.
        let maximumTimeout: TimeAmount
        /// How long a connection with no call in flight may go without a frame.
        let idleTimeout: TimeAmount

        private(set) var state = ConnectionState.active
        /// Calls not answered yet, by call id.
        private var calls: [UInt64: Call] = [:]
        /// Handler tasks still running, answered or not (a cancelled handler may take a while
        /// to stop): the per-connection limit counts these.
        private(set) var runningHandlers = 0
        private var lastToken: UInt64 = 0
        private(set) var isReadingPaused = false
        /// Frames were written and not flushed yet.
        private(set) var isFlushPending = false
        /// When the last frame arrived (or the connection became active).
        private var lastActivity = NIODeadline.uptimeNanoseconds(0)
        /// A call on this connection was authenticated: its frames may be large.
        private(set) var hasAuthenticatedCall = false

        init(
            maximumCallsPerConnection: Int,
            maximumServerCalls: Int,
            defaultTimeout: TimeAmount,
            maximumTimeout: TimeAmount,
            idleTimeout: TimeAmount
        ) {
            self.maximumCallsPerConnection = maximumCallsPerConnection
            self.maximumServerCalls = maximumServerCalls
            self.defaultTimeout = defaultTimeout
            self.maximumTimeout = maximumTimeout
            self.idleTimeout = idleTimeout
        }

        /// Calls not answered yet.
        var callsInFlight: Int { self.calls.count }

        /// How often to look for idleness: a quarter of the idle timeout, at least 10 ms, so an
        /// idle connection closes at most a quarter late.
        var idleCheckInterval: TimeAmount {
            .nanoseconds(max(self.idleTimeout.nanoseconds / 4, TimeAmount.milliseconds(10).nanoseconds))
        }

        // MARK: Connection events

        /// The connection became active: its idle time starts now.
        mutating func channelActive(at now: NIODeadline) {
            self.lastActivity = now
        }

        /// Any frame arrived: the connection is not idle.
        mutating func frameReceived(at now: NIODeadline) {
            self.lastActivity = now
        }

        /// The channel closed. Returns the work of every unanswered call, to be cancelled; each
        /// handler task releases its server-wide slot when it actually ends.
        mutating func channelInactive() -> [CallHandle] {
            self.state = .closed
            let handles = self.calls.values.map(\.handle)
            self.calls.removeAll()
            return handles
        }

        /// The server drains: a `GoAway`, no new calls, and the connection closes once its calls
        /// in flight are answered.
        mutating func drainRequested() -> DrainAction {
            guard self.state == .active else { return .none }
            self.state = .draining
            // The GoAway is flushed at once, with whatever was written before it.
            self.isFlushPending = false
            let error = RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING")
            return self.calls.isEmpty ? .sendGoAwayAndClose(error) : .sendGoAway(error)
        }

        /// The periodic idle check: a connection with no call in flight and no frame for
        /// `idleTimeout` is closed with a `GoAway`.
        mutating func idleCheckFired(now: NIODeadline) -> CloseAction {
            guard self.state == .active, self.calls.isEmpty else { return .none }
            guard now - self.lastActivity >= self.idleTimeout else { return .none }
            return self.closeWithGoAway(RPCError(code: .ok, message: "Idle connection closed.", reason: "IDLE_TIMEOUT"))
        }

        /// The frame decoder found bytes that break the framing rules.
        mutating func frameErrorCaught(_ error: FrameError) -> CloseAction {
            self.closeWithGoAway(error.rpcError)
        }

        /// The client sent a frame only a server may send (Reply, GoAway) or an empty one.
        mutating func unexpectedFrameReceived() -> CloseAction {
            self.closeWithGoAway(
                RPCError(
                    code: .invalidArgument,
                    message: "clients may send only Call, Cancel, Ping and Pong frames",
                    reason: "UNEXPECTED_FRAME"
                )
            )
        }

        /// A `Ping` is answered with a `Pong` until the connection closes.
        mutating func pingReceived() -> PingAction {
            guard self.state != .closed else { return .none }
            self.isFlushPending = true
            return .sendPong
        }

        // MARK: Calls

        /// A `Call` frame arrived. Checks, in order: the connection takes calls, the call id is
        /// not in flight, the method exists, this connection's limit, then the server's
        /// (`acquireServerSlot` takes a slot, which the handler task releases when it ends).
        mutating func callReceived(
            callID: UInt64,
            method: String,
            isKnownMethod: Bool,
            timeoutMilliseconds: UInt32,
            now: NIODeadline,
            acquireServerSlot: () -> Bool
        ) -> CallAction {
            switch self.state {
            case .active:
                break
            case .draining:
                self.isFlushPending = true
                return .reply(RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING"))
            case .closed:
                return .none
            }
            if self.calls[callID] != nil {
                // Answering under an id that is still in flight would give that id two replies.
                self.closeForGoAway()
                return .goAwayThenClose(
                    RPCError(
                        code: .invalidArgument,
                        message: "call_id \(callID) is already in flight on this connection",
                        reason: "DUPLICATE_CALL_ID"
                    )
                )
            }
            guard isKnownMethod else {
                self.isFlushPending = true
                return .reply(
                    RPCError(code: .unimplemented, message: "Unknown method \(method).", reason: "UNKNOWN_METHOD")
                )
            }
            guard self.runningHandlers < self.maximumCallsPerConnection else {
                self.isFlushPending = true
                return .reply(
                    RPCError(
                        code: .resourceExhausted,
                        message: "More than \(self.maximumCallsPerConnection) calls in flight on this connection.",
                        reason: "CONNECTION_CALL_LIMIT"
                    )
                )
            }
            guard acquireServerSlot() else {
                self.isFlushPending = true
                return .reply(
                    RPCError(
                        code: .resourceExhausted,
                        message: "The server has \(self.maximumServerCalls) calls in flight; try again shortly.",
                        reason: "SERVER_CALL_LIMIT",
                        retryAfterMilliseconds: 100
                    )
                )
            }
            let timeout =
                timeoutMilliseconds == 0
                ? self.defaultTimeout
                : min(.milliseconds(Int64(timeoutMilliseconds)), self.maximumTimeout)
            self.lastToken &+= 1
            self.runningHandlers += 1
            return .dispatch(token: self.lastToken, deadline: now + timeout)
        }

        /// A call's caller was authenticated. True the first time: the frame reader is to lift its
        /// limit for connections that never authenticated.
        mutating func callAuthenticated() -> Bool {
            guard !self.hasAuthenticatedCall, self.state != .closed else { return false }
            self.hasAuthenticatedCall = true
            return true
        }

        /// The handler task and deadline timer of a call that `callReceived` dispatched.
        mutating func callDispatched(callID: UInt64, token: UInt64, handle: CallHandle) {
            self.calls[callID] = Call(token: token, handle: handle)
        }

        /// A handler task ended (it always does, even cancelled): its reply is sent unless the
        /// deadline or a Cancel answered the call already.
        mutating func handlerFinished(callID: UInt64, token: UInt64) -> AnswerAction {
            self.runningHandlers -= 1
            return self.answer(callID: callID, token: token)
        }

        /// A call's deadline passed: it is answered DEADLINE_EXCEEDED and its handler cancelled.
        mutating func deadlinePassed(callID: UInt64, token: UInt64) -> AnswerAction {
            self.answer(callID: callID, token: token)
        }

        /// The client abandoned a call: it is answered CANCELLED and its handler cancelled.
        mutating func cancelReceived(callID: UInt64) -> AnswerAction {
            guard let call = self.calls.removeValue(forKey: callID) else { return .none }
            return self.answered(call)
        }

        // MARK: Flushing and reading

        /// The reads of this loop turn are done: flush what they wrote, in one write.
        mutating func readComplete() -> FlushAction {
            self.takeFlush()
        }

        /// The flush that replies scheduled runs after the loop's queued tasks, so replies that
        /// finish together leave in one write.
        mutating func scheduledFlushFired() -> FlushAction {
            self.takeFlush()
        }

        /// Back-pressure: a peer that does not read its replies stops being read from, so
        /// replies and pongs cannot pile up without bound.
        mutating func writabilityChanged(isWritable: Bool) -> ReadingAction {
            guard isWritable == self.isReadingPaused else { return .none }
            self.isReadingPaused = !isWritable
            return isWritable ? .resumeReading : .pauseReading
        }

        // MARK: Helpers

        private mutating func answer(callID: UInt64, token: UInt64) -> AnswerAction {
            guard let call = self.calls[callID], call.token == token else { return .none }
            self.calls.removeValue(forKey: callID)
            return self.answered(call)
        }

        /// The call was removed from the table: whether and how its reply goes out.
        private mutating func answered(_ call: Call) -> AnswerAction {
            switch self.state {
            case .active:
                self.isFlushPending = true
                return .reply(call.handle)
            case .draining where self.calls.isEmpty:
                // Flushed at once, before the close.
                self.isFlushPending = false
                return .replyAndClose(call.handle)
            case .draining:
                self.isFlushPending = true
                return .reply(call.handle)
            case .closed:
                return .cancelWork(call.handle)
            }
        }

        private mutating func closeWithGoAway(_ error: RPCError) -> CloseAction {
            guard self.state != .closed else { return .none }
            self.closeForGoAway()
            return .goAwayThenClose(error)
        }

        /// Nothing is written after the `GoAway`, which flushes what was written before it; calls
        /// still running are cancelled when the channel closes.
        private mutating func closeForGoAway() {
            self.state = .closed
            self.isFlushPending = false
        }

        private mutating func takeFlush() -> FlushAction {
            guard self.isFlushPending else { return .none }
            self.isFlushPending = false
            return .flush
        }
    }
}

extension ServerConnectionHandler.StateMachine.AnswerAction: Equatable where CallHandle: Equatable {}
