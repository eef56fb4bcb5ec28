import Logging
import MailgateCore
import PostgresNIO

/// Deletes what is kept no longer: finished messages (sent, failed, cancelled) with their
/// attempts, events, and the rows of replicas that stopped without saying so. Oldest first,
/// `batch` rows per statement, each its own transaction, rows another replica is deleting
/// skipped, so it stays cheap at a million rows a day and never holds locks for long.
public struct RetentionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What one pass deleted.
    public struct Deleted: Sendable, Hashable {
        public var messages = 0
        public var events = 0
        public var workers = 0

        public var total: Int { self.messages + self.events + self.workers }
    }

    /// Deletes, a batch at a time until none is full or `maximumBatches` ran: messages
    /// finished more than `messages` ago and events older than `events` (nil keeps them),
    /// and replicas silent for a day.
    public func deleteExpired(
        messages: Duration?,
        events: Duration?,
        batch: Int = 5000,
        maximumBatches: Int = 60
    ) async throws -> Deleted {
        var deleted = Deleted()
        if let messages {
            deleted.messages = try await self.deleteOldest(
                "messages",
                by: "finished_at",
                olderThan: messages,
                batch: batch,
                maximumBatches: maximumBatches
            )
        }
        if let events {
            deleted.events = try await self.deleteOldest(
                "events",
                by: "created_at",
                olderThan: events,
                batch: batch,
                maximumBatches: maximumBatches
            )
        }
        deleted.workers = try await self.client.changedRows(
            "DELETE FROM workers WHERE heartbeat_at < now() - interval '1 day' RETURNING 1",
            logger: self.logger
        )
        return deleted
    }

    /// Deletes the rows of `table` whose `column` is older than `age`, oldest first; rows
    /// another replica is deleting are skipped. (A finished message's attempts go with it.)
    private func deleteOldest(
        _ table: String,
        by column: String,
        olderThan age: Duration,
        batch: Int,
        maximumBatches: Int
    ) async throws -> Int {
        try await self.client.inBatches(
            of: batch,
            maximumBatches: maximumBatches,
            logger: self.logger,
            """
            DELETE FROM \(unescaped: table) WHERE id IN (
                SELECT id FROM \(unescaped: table)
                WHERE \(unescaped: column) < now() - make_interval(secs => \(age.seconds))
                ORDER BY \(unescaped: column) LIMIT \(batch)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING 1
            """
        )
    }
}
