import Foundation
import Logging
import MailgateStore
import ServiceLifecycle

/// Records that this replica is alive in `workers`, so any replica can tell whether
/// some process is running (ValidateServer's "no delivery worker is running").
/// The row is removed on graceful shutdown; a killed replica's row simply goes stale.
public struct WorkerHeartbeat: Service {
    public let workerID: String
    /// Delivery workers this replica runs (0: it serves RPCs but delivers nothing).
    let deliveryWorkers: Int
    let workers: WorkerRepository
    let metrics: ServiceMetrics
    let interval: Duration
    let logger: Logger

    public init(
        workerID: String,
        deliveryWorkers: Int,
        workers: WorkerRepository,
        interval: Duration = .seconds(15),
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.workerID = workerID
        self.deliveryWorkers = deliveryWorkers
        self.workers = workers
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let hostname = ProcessInfo.processInfo.hostName
        let version = MailgateVersion.current
        self.metrics.deliveryWorkers(self.deliveryWorkers)
        await repeatEvery(self.interval, logger: self.logger, failure: "heartbeat failed") {
            try await self.workers.heartbeat(
                workerID: self.workerID,
                hostname: hostname,
                version: version,
                deliveryWorkers: self.deliveryWorkers
            )
            self.metrics.heartbeat()
        }
        // Bounded: a stop must not wait on a database that went away; a stale row just ages out.
        let (workers, workerID) = (self.workers, self.workerID)
        _ = await withTimeLimit(.seconds(5)) {
            _ = try? await workers.remove(workerID: workerID)
        }
    }
}
