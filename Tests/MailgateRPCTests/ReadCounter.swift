import NIOCore
import Synchronization

/// Counts the `read` requests that reach the front of a pipeline: a handler that holds them
/// back stops the channel reading from its socket.
final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = NIOAny

    private let reads = Atomic<Int>(0)

    var count: Int { self.reads.load(ordering: .relaxed) }

    func read(context: ChannelHandlerContext) {
        self.reads.add(1, ordering: .relaxed)
        context.read()
    }
}
