import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// What a tenant uses of its quotas: the mail it has queued, and its calls of the current
/// minute by kind, shared by every replica through `tenant_rate_windows`.
public struct TenantUsageRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Messages the tenant has queued and their size in bytes (an index-only count over
    /// `messages_queues`: its cost grows with what the tenant has queued, so callers cache it).
    public func queued(tenantID: UUID) async throws -> (messages: Int, bytes: Int) {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*), coalesce(sum(body_size), 0)::bigint FROM messages
            WHERE tenant_id = \(tenantID) AND state = 'queued'
            """,
            logger: self.logger
        )
        for try await (messages, bytes) in rows.decode((Int, Int).self) { return (messages, bytes) }
        return (0, 0)
    }

    /// Calls limited per tenant and minute across replicas.
    public enum RateKind: String, Sendable, Hashable {
        case sendMail = "send_mail"
        case validateServer = "validate_server"
        case refreshToken = "refresh_token"
    }

    /// A slice of this minute's allowance for one replica to hand out.
    public struct Allowance: Sendable, Hashable {
        /// Calls this replica may accept: up to the slice asked for, 0 when the minute's
        /// allowance is used up.
        public var granted: Int
        /// Until the minute ends; then a new allowance begins.
        public var validFor: Duration
    }

    /// Takes up to `slice` calls of `kind` of the tenant's `perMinute` for the current
    /// minute (the database's clock), counted with what every replica took before.
    public func take(_ kind: RateKind, tenantID: UUID, slice: Int, perMinute: Int) async throws -> Allowance {
        try await self.client.transaction(logger: self.logger) { connection in
            try await connection.query(
                """
                INSERT INTO tenant_rate_windows (tenant_id, kind, window_start, granted)
                VALUES (\(tenantID), \(kind.rawValue), date_trunc('minute', now()), 0)
                ON CONFLICT (tenant_id, kind, window_start) DO NOTHING
                """,
                logger: self.logger
            )
            let rows = try await connection.query(
                """
                SELECT granted, extract(epoch FROM window_start + interval '1 minute' - now())::float8
                FROM tenant_rate_windows
                WHERE tenant_id = \(tenantID) AND kind = \(kind.rawValue) AND window_start = date_trunc('minute', now())
                FOR UPDATE
                """,
                logger: self.logger
            )
            var taken = 0
            var left = 60.0
            for try await (granted, seconds) in rows.decode((Int, Double).self) {
                taken = granted
                left = seconds
            }
            let granted = max(0, min(slice, perMinute - taken))
            if granted > 0 {
                try await connection.query(
                    """
                    UPDATE tenant_rate_windows SET granted = granted + \(granted)
                    WHERE tenant_id = \(tenantID) AND kind = \(kind.rawValue)
                        AND window_start = date_trunc('minute', now())
                    """,
                    logger: self.logger
                )
            }
            // Minutes gone by are kept a little for GetTenant, then dropped.
            try await connection.query(
                """
                DELETE FROM tenant_rate_windows
                WHERE tenant_id = \(tenantID) AND kind = \(kind.rawValue) AND window_start < now() - interval '10 minutes'
                """,
                logger: self.logger
            )
            return Allowance(granted: granted, validFor: .milliseconds(Int64(max(0, left) * 1000)))
        }
    }

    /// Calls of `kind` the replicas took allowance for in the current minute.
    public func thisMinute(_ kind: RateKind, tenantID: UUID) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT granted FROM tenant_rate_windows
            WHERE tenant_id = \(tenantID) AND kind = \(kind.rawValue) AND window_start = date_trunc('minute', now())
            """,
            logger: self.logger
        )
        for try await granted in rows.decode(Int.self) { return granted }
        return 0
    }
}
