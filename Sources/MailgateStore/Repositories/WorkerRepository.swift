import Foundation
import Logging
import PostgresNIO

/// The `workers` table: one heartbeat row per running replica, so any replica can tell
/// whether some process delivers mail (ValidateServer's "no delivery worker is running").
public struct WorkerRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records that `workerID` is alive now, with how many delivery workers it runs.
    public func heartbeat(workerID: String, hostname: String, version: String, deliveryWorkers: Int) async throws {
        try await self.client.tracedQuery(
            """
            INSERT INTO workers (id, hostname, version, delivery_workers)
            VALUES (\(workerID), \(hostname), \(version), \(deliveryWorkers))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), delivery_workers = excluded.delivery_workers
            """,
            logger: self.logger
        )
    }

    /// Removes `workerID`'s row (a graceful stop; a killed replica's row just goes stale).
    public func remove(workerID: String) async throws {
        try await self.client.tracedQuery("DELETE FROM workers WHERE id = \(workerID)", logger: self.logger)
    }
}
