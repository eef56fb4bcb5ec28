import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// What ValidateServer reads and writes besides the SMTP server itself: the server's
/// last result, its backlog, and whether any replica runs delivery workers.
public struct ValidationRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Mail of a server that is not finished yet.
    public struct Backlog: Sendable, Hashable {
        /// Queued (due or scheduled) and being sent.
        public var waiting: Int
        /// Queued and due now, with the time the oldest of them became due.
        public var due: Int
        public var oldestDueSince: Date?

        public static let empty = Backlog(waiting: 0, due: 0, oldestDueSince: nil)
    }

    public func backlog(tenantID: UUID, serverID: UUID) async throws -> Backlog {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*), count(*) FILTER (WHERE state = 'queued' AND next_attempt_at <= now()),
                min(greatest(created_at, coalesce(not_before, created_at))) FILTER (WHERE state = 'queued' AND next_attempt_at <= now())
            FROM messages WHERE tenant_id = \(tenantID) AND server_id = \(serverID) AND state IN ('queued', 'sending')
            """,
            logger: self.logger
        )
        for try await (waiting, due, oldest) in rows.decode((Int, Int, Date?).self) {
            return Backlog(waiting: waiting, due: due, oldestDueSince: oldest)
        }
        return Backlog(waiting: 0, due: 0, oldestDueSince: nil)
    }

    /// Replicas whose heartbeat is younger than `freshness`, and the delivery workers they
    /// run (a replica of a version before this count is taken to run some).
    public func deliveryWorkers(freshness: Duration) async throws -> (replicas: Int, workers: Int) {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*), coalesce(sum(coalesce(delivery_workers, 1)), 0)::int8 FROM workers
            WHERE heartbeat_at > now() - make_interval(secs => \(freshness.seconds))
            """,
            logger: self.logger
        )
        for try await (replicas, workers) in rows.decode((Int, Int).self) {
            return (replicas, workers)
        }
        return (0, 0)
    }

    /// Stores a validation's verdict on the server and, in the same transaction, an event:
    /// `failed` when it did not pass, `recovered` when it passed after a failure. Returns
    /// the previous verdict (nil: never validated); nothing happens for a deleted server,
    /// or one changed since `version` was read (the verdict is about settings it no longer has).
    @discardableResult
    public func record(
        tenantID: UUID,
        serverID: UUID,
        version: Int64,
        passed: Bool,
        summary: String,
        failed: NewEvent,
        recovered: NewEvent
    ) async throws -> Bool? {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                WITH previous AS (
                    SELECT id, last_validation_ok FROM output_servers
                    WHERE tenant_id = \(tenantID) AND id = \(serverID) AND version = \(version) FOR UPDATE
                )
                UPDATE output_servers s SET last_validation = \(summary), last_validation_ok = \(passed), last_validated_at = now()
                FROM previous WHERE s.id = previous.id
                RETURNING previous.last_validation_ok
                """,
                logger: self.logger
            )
            var found = false
            var previous: Bool?
            for try await before in rows.decode(Bool?.self) {
                found = true
                previous = before
            }
            guard found else { return nil }
            if !passed {
                try await EventRepository.append(failed, on: connection, logger: self.logger)
            } else if previous == false {
                try await EventRepository.append(recovered, on: connection, logger: self.logger)
            }
            return previous
        }
    }
}
