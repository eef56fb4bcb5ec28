import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `api_keys` table. Only the SHA-256 hash of a key's secret is stored.
public struct APIKeyRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = "id, tenant_id, description, created_at, revoked_at, last_used_at"

    /// Makes a new key for a tenant (or, with nil, an operator key) and writes its audit
    /// event. The returned key is the only time its secret exists outside the caller.
    public func create(tenantID: UUID?, description: String, actor: String) async throws -> (APIKeyRecord, APIKey) {
        let key = APIKey.generate()
        let record = try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (id, tenant_id, secret_hash, description)
                VALUES (\(key.id), \(tenantID), \(Data(key.secretHash)), \(description))
                RETURNING \(unescaped: Self.columns)
                """,
                logger: self.logger
            )
            let record = try await Self.decode(rows).first!
            try await EventRepository.append(
                NewEvent(
                    tenantID: tenantID,
                    kind: EventKind.apiKeyCreated,
                    message: "\(tenantID == nil ? "Operator" : "Tenant") API key \(key.id) created.",
                    details: ["key_id": key.id, "description": description],
                    actor: actor
                ),
                on: connection,
                logger: self.logger
            )
            return record
        }
        return (record, key)
    }

    /// Makes sure the configured bootstrap operator key exists with this secret. A key
    /// revoked earlier stays revoked: remove it from the configuration instead. An id that
    /// is a tenant's key is refused: the configuration must not turn it into an operator key.
    public func ensureOperatorKey(_ key: APIKey) async throws {
        let rows = try await self.client.tracedQuery(
            """
            INSERT INTO api_keys (id, tenant_id, secret_hash, description)
            VALUES (\(key.id), NULL, \(Data(key.secretHash)), 'bootstrap operator key (configuration)')
            ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash WHERE api_keys.tenant_id IS NULL
            RETURNING 1
            """,
            logger: self.logger
        )
        var stored = false
        for try await _ in rows { stored = true }
        guard stored else {
            throw StoreError(
                .invalidState,
                "MAILGATE_BOOTSTRAP_OPERATOR_KEY has the id of a tenant's API key (mgk_\(key.id)_…); it is not made an operator key. Generate another operator key."
            )
        }
    }

    /// Revokes a key. With `tenantID`, only that tenant's keys are found.
    public func revoke(id: String, tenantID: UUID?, actor: String) async throws -> APIKeyRecord {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
                WHERE id = \(id) AND (\(tenantID)::uuid IS NULL OR tenant_id = \(tenantID))
                RETURNING \(unescaped: Self.columns)
                """,
                logger: self.logger
            )
            guard let record = try await Self.decode(rows).first else {
                throw StoreError(.notFound, "No such API key.")
            }
            // Its console sessions end with it (their lookup also requires an unrevoked key).
            try await connection.query("DELETE FROM console_sessions WHERE key_id = \(id)", logger: self.logger)
            try await EventRepository.append(
                NewEvent(
                    tenantID: record.tenantID,
                    kind: EventKind.apiKeyRevoked,
                    severity: .warning,
                    message: "API key \(id) revoked.",
                    details: ["key_id": id],
                    actor: actor
                ),
                on: connection,
                logger: self.logger
            )
            return record
        }
    }

    /// Keys of one tenant, or (nil, operators only) every key; newest first.
    public func list(tenantID: UUID?, includeRevoked: Bool) async throws -> [APIKeyRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) FROM api_keys
            WHERE (\(tenantID)::uuid IS NULL OR tenant_id = \(tenantID))
              AND (\(includeRevoked) OR revoked_at IS NULL)
            ORDER BY created_at DESC, id
            """,
            logger: self.logger
        )
        return try await Self.decode(rows)
    }

    /// What the authenticator needs to check a presented key id.
    public func verificationRecord(id: String) async throws -> KeyVerificationRecord? {
        let rows = try await self.client.tracedQuery(
            """
            SELECT k.id, k.secret_hash, k.tenant_id, t.slug, t.status, k.revoked_at IS NOT NULL, k.last_used_at
            FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
            WHERE k.id = \(id)
            """,
            logger: self.logger
        )
        for try await (id, hash, tenantID, slug, status, revoked, lastUsed) in rows.decode(
            (String, Data, UUID?, String?, String?, Bool, Date?).self
        ) {
            return KeyVerificationRecord(
                keyID: id,
                secretHash: Array(hash),
                tenantID: tenantID,
                tenantSlug: slug,
                tenantStatus: status.flatMap(TenantStatus.init(rawValue:)),
                revoked: revoked,
                lastUsedAt: lastUsed
            )
        }
        return nil
    }

    /// Records that keys were used just now: one write for many calls.
    public func markUsed(ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await self.client.tracedQuery(
            "UPDATE api_keys SET last_used_at = now() WHERE id = ANY(\(ids))",
            logger: self.logger
        )
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [APIKeyRecord] {
        var keys: [APIKeyRecord] = []
        for try await (id, tenantID, description, createdAt, revokedAt, lastUsedAt) in rows.decode(
            (String, UUID?, String, Date, Date?, Date?).self
        ) {
            keys.append(
                APIKeyRecord(
                    id: id,
                    tenantID: tenantID,
                    description: description,
                    createdAt: createdAt,
                    revokedAt: revokedAt,
                    lastUsedAt: lastUsedAt
                )
            )
        }
        return keys
    }
}
