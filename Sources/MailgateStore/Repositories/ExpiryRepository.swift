import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// A stored client secret with an expiry date, and whom to warn.
public struct ExpiringSecret: Sendable, Hashable {
    public var tenantID: UUID
    public var tenantSlug: String
    public var alertContacts: [String]
    /// The tenant's thresholds; nil = the service's.
    public var warningDays: [Int]?
    public var serverID: UUID
    public var serverName: String
    public var provider: OAuthProviderKind?
    public var clientID: String
    public var expiresAt: Date
    public var source: ExpiryDateSource?
    /// Which secret: a new one has a new set-at time and starts its warnings afresh.
    public var secretSetAt: Date
    /// The most urgent warning sent for this secret (days; 0 = expired), and when.
    public var lastWarning: Int?
    public var lastWarningAt: Date?
}

/// Client-secret expiry: what expires when, and the warnings recorded for each secret.
public struct ExpiryRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        t.id, t.slug, t.alert_contacts, t.expiry_warning_days, s.id, s.name, s.oauth_provider, s.client_id,
        s.client_secret_expires_at, s.client_secret_expiry_source, s.client_secret_set_at, w.threshold_days, w.created_at
        """

    static let from = """
        FROM output_servers s JOIN tenants t ON t.id = s.tenant_id
        LEFT JOIN LATERAL (
            SELECT threshold_days, created_at FROM secret_expiry_warnings w
            WHERE w.server_id = s.id AND w.secret_set_at = s.client_secret_set_at AND w.sent
            ORDER BY threshold_days LIMIT 1
        ) w ON true
        WHERE s.auth_type = 'oauth2' AND s.client_secret_sealed IS NOT NULL
          AND s.client_secret_expires_at IS NOT NULL AND s.client_secret_set_at IS NOT NULL
        """

    /// Secrets expiring before `before` (all tenants, or one), soonest first.
    public func list(before: Date, tenantID: UUID?) async throws -> [ExpiringSecret] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) \(unescaped: Self.from)
              AND s.client_secret_expires_at <= \(before)
              AND (\(tenantID)::uuid IS NULL OR s.tenant_id = \(tenantID))
            ORDER BY s.client_secret_expires_at, t.slug, s.name
            """,
            logger: self.logger
        )
        return try await Self.decode(rows)
    }

    /// Runs `body` if no other replica is scanning (a transaction-scoped advisory lock);
    /// nil when one is. Warnings, events and mail `body` records commit together.
    public func withScanLock<Result: Sendable>(_ body: @Sendable (ExpiryScan) async throws -> Result) async throws
        -> Result?
    {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(Self.scanLockKey))",
                logger: self.logger
            )
            var acquired = false
            for try await locked in rows.decode(Bool.self) { acquired = locked }
            guard acquired else { return nil }
            return try await body(ExpiryScan(connection: connection, logger: self.logger))
        }
    }

    /// The advisory lock key of the expiry scan ("mgexpiry" in ASCII).
    static let scanLockKey: Int64 = 0x6D67_6578_7069_7279

    /// Servers whose expiry date should be read from Graph now, claimed so that one
    /// replica checks each: never checked, checked before the secret was stored, or a day ago.
    public func claimDiscovery(now: Date) async throws -> [(tenantID: UUID, serverID: UUID)] {
        let rows = try await self.client.tracedQuery(
            """
            UPDATE output_servers SET secret_discovery_checked_at = \(now)
            WHERE discover_secret_expiry AND client_secret_sealed IS NOT NULL AND oauth_provider = 'microsoft'
              AND (secret_discovery_checked_at IS NULL OR secret_discovery_checked_at < client_secret_set_at
                   OR secret_discovery_checked_at < \(now) - interval '1 day')
            RETURNING tenant_id, id
            """,
            logger: self.logger
        )
        var ids: [(tenantID: UUID, serverID: UUID)] = []
        for try await (tenantID, serverID) in rows.decode((UUID, UUID).self) { ids.append((tenantID, serverID)) }
        return ids
    }

    /// Stores the date Graph gave for the server's current secret.
    public func storeDiscoveredExpiry(serverID: UUID, secretSetAt: Date, expiresAt: Date) async throws {
        try await self.client.transaction(logger: self.logger) { connection in
            try await connection.query(
                """
                UPDATE output_servers SET client_secret_expires_at = \(expiresAt), client_secret_expiry_source = 'provider',
                    secret_discovery_problem = ''
                WHERE id = \(serverID) AND client_secret_set_at = \(secretSetAt)
                """,
                logger: self.logger
            )
            try await Self.forgetUncrossedWarnings(serverID: serverID, on: connection, logger: self.logger)
        }
    }

    /// After the date of a secret moves, the thresholds the new date has not reached yet
    /// are due again (a date corrected from 5 to 180 days away warns at 60, 30, … anew).
    static func forgetUncrossedWarnings(serverID: UUID, on connection: PostgresConnection, logger: Logger) async throws
    {
        try await connection.query(
            """
            DELETE FROM secret_expiry_warnings w USING output_servers s
            WHERE w.server_id = s.id AND s.id = \(serverID) AND w.secret_set_at = s.client_secret_set_at
              AND s.client_secret_expires_at - make_interval(days => w.threshold_days) > now()
            """,
            logger: logger
        )
    }

    /// Records a discovery problem; true when it is new for this server (raise an event once).
    public func recordDiscoveryProblem(serverID: UUID, problem: String, event: NewEvent) async throws -> Bool {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE output_servers SET secret_discovery_problem = \(problem)
                WHERE id = \(serverID) AND secret_discovery_problem <> \(problem)
                RETURNING id
                """,
                logger: self.logger
            )
            var changed = false
            for try await _ in rows { changed = true }
            if changed { try await EventRepository.append(event, on: connection, logger: self.logger) }
            return changed
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [ExpiringSecret] {
        var secrets: [ExpiringSecret] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            secrets.append(
                ExpiringSecret(
                    tenantID: try r[0].decode(UUID.self),
                    tenantSlug: try r[1].decode(String.self),
                    alertContacts: try r[2].decode([String].self),
                    warningDays: try r[3].decode([Int]?.self),
                    serverID: try r[4].decode(UUID.self),
                    serverName: try r[5].decode(String.self),
                    provider: try r[6].decode(String?.self).flatMap(OAuthProviderKind.init(rawValue:)),
                    clientID: try r[7].decode(String.self),
                    expiresAt: try r[8].decode(Date.self),
                    source: try r[9].decode(String?.self).flatMap(ExpiryDateSource.init(rawValue:)),
                    secretSetAt: try r[10].decode(Date.self),
                    lastWarning: try r[11].decode(Int?.self),
                    lastWarningAt: try r[12].decode(Date?.self)
                )
            )
        }
        return secrets
    }
}

/// The locked scan: every secret with its recorded thresholds, and the writes of warnings.
public struct ExpiryScan: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Secrets expiring before `before`, with the thresholds recorded for each.
    public func candidates(before: Date) async throws -> [(ExpiringSecret, Set<Int>)] {
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: ExpiryRepository.columns) \(unescaped: ExpiryRepository.from)
              AND s.client_secret_expires_at <= \(before)
            ORDER BY s.client_secret_expires_at
            """,
            logger: self.logger
        )
        let secrets = try await ExpiryRepository.decode(rows)
        guard !secrets.isEmpty else { return [] }
        let recordedRows = try await self.connection.query(
            """
            SELECT w.server_id, w.threshold_days FROM secret_expiry_warnings w
            JOIN output_servers s ON s.id = w.server_id AND s.client_secret_set_at = w.secret_set_at
            WHERE w.server_id = ANY(\(secrets.map(\.serverID)))
            """,
            logger: self.logger
        )
        var recorded: [UUID: Set<Int>] = [:]
        for try await (serverID, threshold) in recordedRows.decode((UUID, Int).self) {
            recorded[serverID, default: []].insert(threshold)
        }
        return secrets.map { ($0, recorded[$0.serverID] ?? []) }
    }

    /// Records a threshold for a secret; false when it already was (another scan got there).
    public func record(_ secret: ExpiringSecret, threshold: Int, sent: Bool) async throws -> Bool {
        let rows = try await self.connection.query(
            """
            INSERT INTO secret_expiry_warnings (server_id, secret_set_at, threshold_days, sent)
            VALUES (\(secret.serverID), \(secret.secretSetAt), \(threshold), \(sent))
            ON CONFLICT DO NOTHING RETURNING server_id
            """,
            logger: self.logger
        )
        var inserted = false
        for try await _ in rows { inserted = true }
        return inserted
    }

    public func append(_ event: NewEvent) async throws {
        try await EventRepository.append(event, on: self.connection, logger: self.logger)
    }

    /// Why one secret's writes were rolled back while the scan went on.
    public struct SecretSkipped: Error {
        public var underlying: any Error
    }

    /// Runs `body` under a savepoint: if it throws, only its writes are undone and
    /// `SecretSkipped` is thrown; a failure to roll back (the connection is gone) ends the scan.
    public func isolated<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        try await self.connection.query("SAVEPOINT expiry_secret", logger: self.logger)
        let value: Value
        do {
            value = try await body()
        } catch {
            try await self.connection.query("ROLLBACK TO SAVEPOINT expiry_secret", logger: self.logger)
            throw SecretSkipped(underlying: error)
        }
        try await self.connection.query("RELEASE SAVEPOINT expiry_secret", logger: self.logger)
        return value
    }

    /// Queues a warning mail in the scan's transaction: it exists exactly when its warning does.
    public func enqueue(_ message: NewMessage) async throws {
        try await self.connection.query(try MessageInsertBatcher.insertQuery([message]), logger: self.logger)
    }
}
