import NIOCore
import Synchronization

/// Counts the flushes that reach the front of a pipeline, to tell coalesced writes from many.
final class FlushCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = NIOAny

    private let flushes = Atomic<Int>(0)

    var count: Int { self.flushes.load(ordering: .relaxed) }

    func flush(context: ChannelHandlerContext) {
        self.flushes.add(1, ordering: .relaxed)
        context.flush()
    }
}
