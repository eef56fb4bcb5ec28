import Logging
import PostgresNIO

/// Applies numbered SQL migrations in order, each in its own transaction, under an
/// advisory lock so that replicas starting together apply each exactly once.
///
/// Applied migrations are recorded in `schema_migrations` with their checksum; a file
/// changed after it was applied, or an applied version this build does not know, is
/// refused before anything runs.
public struct MigrationRunner: Sendable {
    /// The advisory lock key (an arbitrary constant: "mailgate" in ASCII, truncated).
    static let advisoryLockKey: Int64 = 0x6D61_696C_6761_7465

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    /// What `run` did.
    public struct Outcome: Sendable, Equatable {
        /// Versions applied now, in order.
        public var applied: [Int]
        /// Versions that were already applied before.
        public var alreadyApplied: [Int]
    }

    /// Applies every pending migration; a no-op when the database is current.
    @discardableResult
    public func run(on client: PostgresClient) async throws -> Outcome {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: self.logger)
            do {
                let outcome = try await self.applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
                return outcome
            } catch {
                _ = try? await connection.query(
                    "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))",
                    logger: self.logger
                )
                throw error
            }
        }
    }

    /// The versions not applied yet (after verifying the applied ones).
    public func pending(on client: PostgresClient) async throws -> [Int] {
        try await client.withConnection { connection in
            try await self.createSchemaTable(on: connection)
            let applied = try await self.appliedChecksums(on: connection)
            try self.verify(applied: applied)
            return self.migrations.map(\.version).filter { applied[$0] == nil }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> Outcome {
        try await self.createSchemaTable(on: connection)
        let applied = try await self.appliedChecksums(on: connection)
        try self.verify(applied: applied)

        var outcome = Outcome(applied: [], alreadyApplied: applied.keys.sorted())
        for migration in self.migrations where applied[migration.version] == nil {
            self.logger.info(
                "applying migration",
                metadata: ["version": "\(migration.version)", "name": "\(migration.name)"]
            )
            do {
                try await connection.withTransaction(logger: self.logger) { transaction in
                    for statement in SQLScript.statements(in: migration.sql) {
                        try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    try await transaction.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                        """,
                        logger: self.logger
                    )
                }
            } catch {
                self.logger.error(
                    "migration failed",
                    metadata: ["version": "\(migration.version)", "error": "\(String(reflecting: error))"]
                )
                throw StoreError(
                    .migrationFailed,
                    "Migration \(migration.version) (\(migration.name)) failed; nothing of it was applied.",
                    underlying: error
                )
            }
            outcome.applied.append(migration.version)
        }
        return outcome
    }

    private func createSchemaTable(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: self.logger
        )
    }

    private func appliedChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        var applied: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: self.logger)
        for try await (version, checksum) in rows.decode((Int, String).self) {
            applied[version] = checksum
        }
        return applied
    }

    private func verify(applied: [Int: String]) throws(StoreError) {
        let known = Dictionary(uniqueKeysWithValues: self.migrations.map { ($0.version, $0) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw StoreError(
                    .unknownAppliedMigration,
                    "The database has migration \(version), which this build does not know: it is newer than this build."
                )
            }
            guard migration.checksum == checksum else {
                throw StoreError(
                    .migrationTampered,
                    "Migration \(version) (\(migration.name)) was changed after it was applied; restore the original file."
                )
            }
        }
    }
}
