import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `output_servers` table: every query is scoped by the tenant id the caller
/// got from the authenticated key. Secrets are sealed by the vault before they
/// reach the database.
public struct ServerRepository: Sendable {
    let client: PostgresClient
    let vault: Vault
    let logger: Logger

    public init(client: PostgresClient, vault: Vault, logger: Logger) {
        self.client = client
        self.vault = vault
        self.logger = logger
    }

    /// What a put did.
    public struct PutOutcome: Sendable {
        public enum Change: String, Sendable { case created, updated, unchanged }
        public var server: ServerRecord
        public var change: Change
    }

    /// Creates or updates the tenant's server named `name`.
    ///
    /// Writers of one tenant's servers are serialized by a lock on the tenant row, so
    /// concurrent puts of the same name end in one row with each put counted in its
    /// version, and moving the default flag never deadlocks. `prepare` gets the
    /// current server (nil when new) and returns the validated definition and secret
    /// changes, or throws to change nothing.
    public func put(
        tenantID: UUID,
        name: String,
        expectedVersion: Int64?,
        actor: String,
        now: Date = Date(),
        prepare: @Sendable (ServerRecord?) throws -> (ServerDefinition, SecretChanges)
    ) async throws -> PutOutcome {
        try await self.client.transaction(logger: self.logger) { connection in
            try await self.lockTenant(tenantID, on: connection)
            return try await self.putLocked(
                tenantID: tenantID,
                name: name,
                expectedVersion: expectedVersion,
                actor: actor,
                now: now,
                prepare: prepare,
                on: connection
            )
        }
    }

    /// The body of `put`, in a transaction that holds the tenant lock.
    func putLocked(
        tenantID: UUID,
        name: String,
        expectedVersion: Int64?,
        actor: String,
        now: Date,
        prepare: (ServerRecord?) throws -> (ServerDefinition, SecretChanges),
        on connection: PostgresConnection
    ) async throws -> PutOutcome {
        let existing = try await ServerRow.decode(
            try await connection.query(
                // FOR UPDATE: a rotation re-sealing this row commits first, and the put then keeps the new seals.
                "SELECT \(unescaped: ServerRow.columns) FROM output_servers WHERE tenant_id = \(tenantID) AND name = \(name) FOR UPDATE",
                logger: self.logger
            )
        ).first
        if let expectedVersion {
            guard let existing, existing.version == expectedVersion else {
                throw StoreError(
                    .versionMismatch,
                    "Server \(name) is at version \(existing.map { String($0.version) } ?? "none (it does not exist)"), not \(expectedVersion): read it again and retry."
                )
            }
        }
        var (definition, changes) = try prepare(existing)
        definition.name = name
        // The default moves only by naming another server default; a put never leaves the tenant without one.
        if existing?.definition.isDefault == true { definition.isDefault = true }
        let id = existing?.id ?? UUID()
        let write = self.sealedWrite(
            id: id,
            tenantID: tenantID,
            existing: existing,
            definition: definition,
            changes: changes,
            now: now
        )

        if !definition.isDefault {
            // A tenant without a default server gets this one: SendMail with no server name uses it.
            let rows = try await connection.query(
                "SELECT count(*) FROM output_servers WHERE tenant_id = \(tenantID) AND is_default",
                logger: self.logger
            )
            for try await count in rows.decode(Int.self) where count == 0 { definition.isDefault = true }
        }
        if let existing, existing.definition == definition, write.changedSecrets.isEmpty,
            changes.clientSecretExpiresAt == nil
        {
            return PutOutcome(server: existing, change: .unchanged)
        }
        if definition.isDefault {
            try await connection.query(
                """
                UPDATE output_servers SET is_default = false, version = version + 1, updated_at = now()
                WHERE tenant_id = \(tenantID) AND is_default AND id <> \(id)
                """,
                logger: self.logger
            )
        }
        let server = try await self.upsert(
            id: id,
            tenantID: tenantID,
            definition: definition,
            write: write,
            existing: existing,
            on: connection
        )
        if let existing, existing.clientSecret.expiresAt != server.clientSecret.expiresAt {
            try await ExpiryRepository.forgetUncrossedWarnings(serverID: server.id, on: connection, logger: self.logger)
        }
        try await EventRepository.append(
            Self.auditEvent(server: server, existing: existing, changedSecrets: write.changedSecrets, actor: actor),
            on: connection,
            logger: self.logger
        )
        return PutOutcome(server: server, change: existing == nil ? .created : .updated)
    }

    /// The tenant's server with this id or name.
    public func find(tenantID: UUID, idOrName: String) async throws -> ServerRecord? {
        try await ServerLookup.find(tenantID: tenantID, idOrName: idOrName, client: self.client, logger: self.logger)
    }

    /// The tenant's default server.
    public func findDefault(tenantID: UUID) async throws -> ServerRecord? {
        let rows = try await self.client.tracedQuery(
            "SELECT \(unescaped: ServerRow.columns) FROM output_servers WHERE tenant_id = \(tenantID) AND is_default",
            logger: self.logger
        )
        return try await ServerRow.decode(rows).first
    }

    /// The tenant's servers ordered by name, after `afterName`.
    public func list(tenantID: UUID, afterName: String?, limit: Int) async throws -> [ServerRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: ServerRow.columns) FROM output_servers
            WHERE tenant_id = \(tenantID) AND (\(afterName)::text IS NULL OR name > \(afterName))
            ORDER BY name LIMIT \(limit)
            """,
            logger: self.logger
        )
        return try await ServerRow.decode(rows)
    }

    /// Deletes the tenant's server; `versionMismatch` when `expectedVersion` is stale.
    public func delete(tenantID: UUID, idOrName: String, expectedVersion: Int64?, actor: String) async throws
        -> ServerRecord
    {
        try await self.client.transaction(logger: self.logger) { connection in
            try await self.lockTenant(tenantID, on: connection)
            let lookup = IDOrName(idOrName, nameColumn: "name")
            let rows = try await connection.query(
                """
                DELETE FROM output_servers
                WHERE tenant_id = \(tenantID) AND \(unescaped: lookup.column) = \(lookup.value)
                RETURNING \(unescaped: ServerRow.columns)
                """,
                logger: self.logger
            )
            guard let server = try await ServerRow.decode(rows).first else {
                throw StoreError(.notFound, "No server \(idOrName) in this tenant.")
            }
            if let expectedVersion, expectedVersion != server.version {
                throw StoreError(
                    .versionMismatch,
                    "Server \(server.definition.name) is at version \(server.version), not \(expectedVersion)."
                )
            }
            if server.definition.isDefault {
                // The default passes to the oldest remaining server, so the tenant keeps one.
                try await connection.query(
                    """
                    UPDATE output_servers SET is_default = true, version = version + 1, updated_at = now()
                    WHERE id = (SELECT id FROM output_servers WHERE tenant_id = \(tenantID) ORDER BY created_at, name LIMIT 1)
                    """,
                    logger: self.logger
                )
            }
            try await EventRepository.append(
                NewEvent(
                    tenantID: tenantID,
                    kind: EventKind.serverDeleted,
                    severity: .warning,
                    serverID: server.id,
                    message: "Server \(server.definition.name) deleted.",
                    details: ["server": server.definition.name],
                    actor: actor
                ),
                on: connection,
                logger: self.logger
            )
            return server
        }
    }

    func lockTenant(_ tenantID: UUID, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT id FROM tenants WHERE id = \(tenantID) FOR NO KEY UPDATE",
            logger: self.logger
        )
        var found = false
        for try await _ in rows { found = true }
        guard found else { throw StoreError(.notFound, "No such tenant.") }
    }
}
