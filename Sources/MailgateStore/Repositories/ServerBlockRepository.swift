import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// A server blocked by a fault its operator can fix, and since when.
public struct ServerBlock: Sendable, Hashable {
    /// The cause's stable reason (e.g. `CERTIFICATE_UNTRUSTED`), detail and remedy.
    public var reason: String
    public var detail: String
    public var remedy: String
    public var since: Date
    /// Failed attempts in this episode.
    public var failures: Int
    /// When one attempt will probe the server again.
    public var retryAt: Date
}

/// Why a server's mail waits, as operators see it on the server: a block for a fault an
/// operator can fix, or a pause (the server asked to slow down, a limit is reached).
public struct ServerDeliveryState: Sendable, Hashable {
    public var block: ServerBlock?
    public var pausedUntil: Date?
    /// Why the server is paused, in words ("throttled: 432 …", "rate limit of … reached").
    public var pauseReason: String = ""
}

/// The `server_blocks` table: servers whose mail waits for an operator's fix. Blocking
/// raises `server_delivery_blocked` once per episode; lifting it raises
/// `server_delivery_resumed`, ends every replica's wait and makes the mail due at once.
public struct ServerBlockRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Blocks the server (or keeps it blocked) after a failed attempt, for `cause`. The
    /// first probe comes after `initialWait`; each failed `probe` doubles the wait, up to
    /// `maximumWait`. Attempts that were under way when the block began fail too, but they
    /// neither count nor move the probe. Until it is due every replica skips the server.
    @discardableResult
    public func block(
        tenantID: UUID,
        serverID: UUID,
        serverName: String,
        cause: KnownCause,
        detail: String,
        probe: Bool,
        initialWait: Duration,
        maximumWait: Duration
    ) async throws -> ServerBlock {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO server_blocks (server_id, tenant_id, reason, detail, remedy, retry_at)
                VALUES (\(serverID), \(tenantID), \(cause.reason), \(detail), \(cause.remedy),
                    now() + make_interval(secs => \(initialWait.seconds)))
                ON CONFLICT (server_id) DO UPDATE SET
                    failures = server_blocks.failures + CASE WHEN \(probe) THEN 1 ELSE 0 END,
                    reason = EXCLUDED.reason, detail = EXCLUDED.detail, remedy = EXCLUDED.remedy,
                    retry_at = CASE WHEN \(probe)
                        THEN now() + make_interval(secs => least(
                            \(initialWait.seconds) * power(2, least(server_blocks.failures, 20)), \(maximumWait.seconds)))
                        ELSE server_blocks.retry_at END
                RETURNING reason, detail, remedy, blocked_since, failures, retry_at, xmax = 0
                """,
                logger: self.logger
            )
            guard
                let (reason, detail, remedy, since, failures, retryAt, started) = try await rows.decode(
                    (String, String, String, Date, Int, Date, Bool).self
                ).first(where: { _ in true })
            else { throw StoreError(.notFound, "No such server.") }
            // Claims skip the server until the probe is due.
            try await connection.query(
                """
                INSERT INTO server_throttles (server_id, throttled_until, reason)
                VALUES (\(serverID), \(retryAt), \("blocked: " + reason))
                ON CONFLICT (server_id) DO UPDATE SET throttled_until = EXCLUDED.throttled_until, reason = EXCLUDED.reason
                """,
                logger: self.logger
            )
            if started {
                try await EventRepository.append(
                    NewEvent(
                        tenantID: tenantID,
                        kind: EventKind.serverDeliveryBlocked,
                        severity: .error,
                        serverID: serverID,
                        message:
                            "Server \(serverName) cannot take mail (\(reason)): \(detail). Its mail waits and goes out once this is fixed. \(remedy)",
                        details: ["server": serverName, "reason": reason, "detail": detail, "remedy": remedy],
                        actor: "delivery"
                    ),
                    on: connection,
                    logger: self.logger
                )
            }
            return ServerBlock(
                reason: reason,
                detail: detail,
                remedy: remedy,
                since: since,
                failures: failures,
                retryAt: retryAt
            )
        }
    }

    /// Lifts the server's block, if it has one and its reason is not in `keeping` (what
    /// the fix did not test): its mail is due now on every replica. `why` goes into the
    /// `server_delivery_resumed` event. Returns whether a block was lifted.
    @discardableResult
    public func unblock(
        tenantID: UUID,
        serverID: UUID,
        serverName: String,
        why: String,
        keeping: Set<KnownCause> = []
    ) async throws -> Bool {
        let kept = keeping.map(\.reason)
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                DELETE FROM server_blocks
                WHERE server_id = \(serverID) AND tenant_id = \(tenantID) AND NOT (reason = ANY(\(kept)))
                RETURNING reason
                """,
                logger: self.logger
            )
            guard let reason = try await rows.decode(String.self).first(where: { _ in true }) else { return false }
            try await connection.query(
                "DELETE FROM server_throttles WHERE server_id = \(serverID) AND reason LIKE 'blocked: %'",
                logger: self.logger
            )
            try await connection.query(
                """
                UPDATE messages SET next_attempt_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND server_id = \(serverID) AND state = 'queued' AND next_attempt_at > now()
                    AND (not_before IS NULL OR not_before <= now())
                """,
                logger: self.logger
            )
            try await EventRepository.append(
                NewEvent(
                    tenantID: tenantID,
                    kind: EventKind.serverDeliveryResumed,
                    severity: .info,
                    serverID: serverID,
                    message:
                        "Server \(serverName) takes mail again (\(why)); the mail that waited (\(reason)) goes out now.",
                    details: ["server": serverName, "previous_reason": reason, "resumed_by": why],
                    actor: "delivery"
                ),
                on: connection,
                logger: self.logger
            )
            try await connection.query(
                "SELECT pg_notify(\(MessageRepository.notificationChannel), '')",
                logger: self.logger
            )
            return true
        }
    }

    /// The blocks and pauses in force for `serverIDs`; a server missing from the answer is
    /// neither blocked nor paused.
    public func deliveryStates(serverIDs: [UUID]) async throws -> [UUID: ServerDeliveryState] {
        guard !serverIDs.isEmpty else { return [:] }
        let rows = try await self.client.tracedQuery(
            """
            SELECT id, b.reason, b.detail, b.remedy, b.blocked_since, b.failures, b.retry_at, t.throttled_until, t.reason
            FROM unnest(\(serverIDs)::uuid[]) AS id
            LEFT JOIN server_blocks b ON b.server_id = id
            LEFT JOIN server_throttles t ON t.server_id = id AND t.throttled_until > now() AND t.reason NOT LIKE 'blocked: %'
            WHERE b.server_id IS NOT NULL OR t.server_id IS NOT NULL
            """,
            logger: self.logger
        )
        var states: [UUID: ServerDeliveryState] = [:]
        for try await (id, reason, detail, remedy, since, failures, retryAt, pausedUntil, pauseReason) in rows.decode(
            (UUID, String?, String?, String?, Date?, Int?, Date?, Date?, String?).self
        ) {
            var state = ServerDeliveryState(pausedUntil: pausedUntil, pauseReason: pauseReason ?? "")
            if let reason, let since, let retryAt {
                state.block = ServerBlock(
                    reason: reason,
                    detail: detail ?? "",
                    remedy: remedy ?? "",
                    since: since,
                    failures: failures ?? 1,
                    retryAt: retryAt
                )
            }
            states[id] = state
        }
        return states
    }

    /// How many blocked servers have mail waiting, across tenants. A block stays after its
    /// last message failed or was cancelled (the next message probes the server once the
    /// block's wait is over); with nothing waiting it costs no one anything.
    public func blockedCount() async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*) FROM server_blocks b
            WHERE EXISTS (
                SELECT 1 FROM messages m
                WHERE m.tenant_id = b.tenant_id AND m.server_id = b.server_id AND m.state = 'queued'
            )
            """,
            logger: self.logger
        )
        return try await rows.decode(Int.self).first(where: { _ in true }) ?? 0
    }

    /// The server's block, if it is blocked.
    public func find(serverID: UUID) async throws -> ServerBlock? {
        let rows = try await self.client.tracedQuery(
            """
            SELECT reason, detail, remedy, blocked_since, failures, retry_at FROM server_blocks
            WHERE server_id = \(serverID)
            """,
            logger: self.logger
        )
        for try await (reason, detail, remedy, since, failures, retryAt) in rows.decode(
            (String, String, String, Date, Int, Date).self
        ) {
            return ServerBlock(
                reason: reason,
                detail: detail,
                remedy: remedy,
                since: since,
                failures: failures,
                retryAt: retryAt
            )
        }
        return nil
    }
}
