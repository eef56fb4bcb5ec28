import Logging
import MailgateStore
import ServiceLifecycle

/// Keeps `mailgate_queue_messages{state}` current: every `interval`, the cluster's
/// unfinished messages by state (due, scheduled, sending).
struct QueueGauges {
    let queue: DeliveryQueue
    let metrics: ServiceMetrics
    let interval: Duration
    let logger: Logger

    func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                for (state, count) in try await self.queue.depth() { self.metrics.queueDepth(state: state, count: count) }
            } catch {
                self.logger.debug("queue depth not read", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
