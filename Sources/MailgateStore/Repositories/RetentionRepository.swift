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
        maximumBatches: Int = 20
    ) async throws -> Deleted {
        var deleted = Deleted()
        if let messages {
            deleted.messages = try await self.inBatches(maximumBatches) {
                """
                DELETE FROM messages WHERE id IN (
                    SELECT id FROM messages
                    WHERE finished_at < now() - make_interval(secs => \(messages.seconds))
                    ORDER BY finished_at LIMIT \(batch)
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING 1
                """
            } full: {
                $0 == batch
            }
        }
        if let events {
            deleted.events = try await self.inBatches(maximumBatches) {
                """
                DELETE FROM events WHERE id IN (
                    SELECT id FROM events
                    WHERE created_at < now() - make_interval(secs => \(events.seconds))
                    ORDER BY created_at LIMIT \(batch)
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING 1
                """
            } full: {
                $0 == batch
            }
        }
        deleted.workers = try await self.inBatches(1) {
            "DELETE FROM workers WHERE heartbeat_at < now() - interval '1 day' RETURNING 1"
        } full: { _ in
            false
        }
        return deleted
    }

    private func inBatches(
        _ maximumBatches: Int,
        _ statement: () -> PostgresQuery,
        full: (Int) -> Bool
    ) async throws -> Int {
        var total = 0
        for _ in 0..<maximumBatches {
            var count = 0
            for try await _ in try await self.client.tracedQuery(statement(), logger: self.logger) { count += 1 }
            total += count
            if !full(count) { break }
        }
        return total
    }
}
