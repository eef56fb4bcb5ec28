import MailgateProto
import NIOCore

/// The client side of one connection: hands out call ids, matches replies to the
/// calls waiting for them, and fails every waiting call when the connection ends.
/// Everything here runs on the channel's event loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = Mailgate_V1_Frame
    typealias OutboundOut = Mailgate_V1_Frame

    private var nextCallID: UInt64 = 1
    private var pending: [UInt64: EventLoopPromise<Mailgate_V1_Reply>] = [:]
    /// Set once the server sent GoAway or the connection closed: no new calls.
    private(set) var closedReason: RPCError?
    private var flushScheduled = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Sends a call; the promise completes with the reply or fails with an `RPCError`.
    func startCall(
        method: String,
        metadata: [String: String],
        timeoutMilliseconds: UInt32,
        payload: [UInt8],
        promise: EventLoopPromise<Mailgate_V1_Reply>
    ) -> UInt64? {
        guard let context = self.context, self.closedReason == nil else {
            // The call never left: safe for the caller to retry on another connection.
            promise.fail(
                RPCError(
                    code: .unavailable,
                    message: self.closedReason?.message ?? "The connection is closed.",
                    reason: "NOT_SENT"
                )
            )
            return nil
        }
        let callID = self.nextCallID
        self.nextCallID &+= 1
        self.pending[callID] = promise
        let frame = Mailgate_V1_Frame.call(
            callID: callID,
            method: method,
            metadata: metadata,
            timeoutMilliseconds: timeoutMilliseconds,
            payload: .init(payload)
        )
        context.write(Self.wrapOutboundOut(frame), promise: nil)
        self.scheduleFlush(context: context)
        return callID
    }

    /// Abandons a call: fails its promise with `error` and tells the server.
    func abandonCall(_ callID: UInt64, error: RPCError) {
        guard let promise = self.pending.removeValue(forKey: callID) else { return }
        promise.fail(error)
        // Cancel even while the server drains, so it stops work nobody waits for.
        guard let context = self.context, context.channel.isActive else { return }
        context.write(Self.wrapOutboundOut(.cancel(callID: callID)), promise: nil)
        self.scheduleFlush(context: context)
    }

    /// Sends a ping; the server's pong is not awaited here.
    func sendPing(nonce: UInt64) {
        guard let context = self.context, self.closedReason == nil else { return }
        context.writeAndFlush(Self.wrapOutboundOut(.ping(nonce: nonce)), promise: nil)
    }

    var isUsable: Bool { self.closedReason == nil && self.context?.channel.isActive == true }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.kind {
        case .reply(let reply):
            self.pending.removeValue(forKey: frame.callID)?.succeed(reply)
        case .goAway(let goAway):
            // Calls already in flight are still answered while the server drains.
            self.closedReason = RPCError(
                code: .unavailable,
                message: "The server closed the connection: \(goAway.status.message)",
                reason: goAway.status.reason
            )
            switch goAway.status.code {
            case .unavailable:
                break
            case .ok:
                // An idle close: the server had no call of ours in flight and reads no more,
                // so anything still pending here never ran and may be retried elsewhere.
                self.failAll(
                    RPCError(code: .unavailable, message: "The server closed the idle connection.", reason: "NOT_SENT")
                )
            default:
                self.failAll(RPCError(status: goAway.status))
            }
        case .ping(let ping):
            context.writeAndFlush(Self.wrapOutboundOut(.pong(callID: frame.callID, nonce: ping.nonce)), promise: nil)
        case .pong, .call, .cancel, .none:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error =
            self.closedReason.map { RPCError(code: .unavailable, message: $0.message, reason: $0.reason) }
            ?? RPCError(code: .unavailable, message: "The connection was closed.", reason: "CONNECTION_CLOSED")
        self.closedReason = error
        self.failAll(error)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason =
            (error as? FrameError)?.rpcError ?? RPCError(code: .unavailable, message: "Connection error: \(error)")
        self.closedReason = reason
        self.failAll(reason)
        context.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        let pending = self.pending
        self.pending.removeAll()
        for promise in pending.values { promise.fail(error) }
    }

    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = loopBound.value
            handler.flushScheduled = false
            handler.context?.flush()
        }
    }
}
