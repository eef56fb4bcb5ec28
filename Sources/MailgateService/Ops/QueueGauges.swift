import Logging
import MailgateStore
import ServiceLifecycle

/// Keeps `mailgate_queue_messages{state}` current: every `interval`, the cluster's
/// unfinished messages by state (due, scheduled, sending).
struct QueueGauges: Service {
    let queue: DeliveryQueue
    let metrics: ServiceMetrics
    let interval: Duration
    let logger: Logger

    func run() async {
        await repeatEvery(self.interval, logger: self.logger, failure: "queue depth not read", level: .debug) {
            for (state, count) in try await self.queue.depth() { self.metrics.queueDepth(state: state, count: count) }
        }
    }
}
