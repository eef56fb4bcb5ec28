import Logging
import MailgateStore
import ServiceLifecycle

/// Keeps `mailgate_queue_messages{state}` and `mailgate_servers_blocked` current: every
/// `interval`, the cluster's unfinished messages by state (due, scheduled, sending) and
/// the blocked servers with mail waiting for an operator's fix. Counting a deep queue takes
/// the database a while (about half a second at a million rows), so the count waits at
/// least 20 times as long as the last one took: it never costs more than 5% of a core.
struct QueueGauges: Service {
    let queue: DeliveryQueue
    let blocks: ServerBlockRepository
    let metrics: ServiceMetrics
    let interval: Duration
    let logger: Logger

    func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                for (state, count) in try await self.queue.depth() {
                    self.metrics.queueDepth(state: state, count: count)
                }
                self.metrics.serversBlocked(try await self.blocks.blockedCount())
            } catch {
                self.logger.debug("queue depth not read", metadata: ["error": "\(String(reflecting: error))"])
            }
            let wait = max(self.interval, (ContinuousClock.now - started) * 20)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
    }
}
