import MailgateProto
import NIOCore

/// Serves a connection accepted past the connection cap: sends a `GoAway` saying so and closes.
/// It reads nothing; a peer that does not take the `GoAway` (a TLS handshake that never
/// finishes) is closed after `closeAfter` all the same.
final class ConnectionRefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = Mailgate_V1_Frame

    private let error: RPCError
    private let closeAfter: TimeAmount

    init(error: RPCError, closeAfter: TimeAmount = .seconds(2)) {
        self.error = error
        self.closeAfter = closeAfter
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let backstop = context.eventLoop.scheduleTask(in: self.closeAfter) { channel.close(promise: nil) }
        context.writeAndFlush(Self.wrapOutboundOut(.goAway(self.error))).whenComplete { _ in
            backstop.cancel()
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    /// Whatever the peer sends is dropped.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
