import Foundation
import Logging
import MailgateStore
import PostgresNIO

/// A database of its own for one test, on the PostgreSQL server that `scripts/test`
/// started (`MAILGATE_TEST_DATABASE_URL`): created empty, dropped afterwards, so tests
/// run in any order and in parallel without sharing state.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String
    public let configuration: PostgresClient.Configuration

    /// Runs `body` with a fresh, empty database, or with `existing` when given (a second
    /// server on the same database).
    public static func withFresh<Result: Sendable>(
        reusing existing: TestDatabase? = nil,
        _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        if let existing { return try await body(existing) }
        let adminURL = try Self.adminURL()
        let name = "test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20))"
        try await Self.withAdminClient(adminURL) { client in
            try await client.query("CREATE DATABASE \(unescaped: name)", logger: Self.logger)
        }
        let url = adminURL.replacingDatabase(with: name)
        let database = TestDatabase(name: name, url: url, configuration: try DatabaseConfiguration.parse(url))
        do {
            let result = try await body(database)
            try await Self.drop(name, adminURL: adminURL)
            return result
        } catch {
            try? await Self.drop(name, adminURL: adminURL)
            throw error
        }
    }

    /// Runs `body` with a client of a fresh database that has every migration applied.
    public static func withMigratedClient<Result: Sendable>(
        logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await Self.withFresh { database in
            try await database.withClient { client in
                try await MigrationRunner(
                    migrations: try Migration.load(from: repositoryRoot().appendingPathComponent("migrations")),
                    logger: logger
                )
                .run(on: client)
                return try await body(client)
            }
        }
    }

    /// Runs `body` with a running client of this database.
    public func withClient<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await Self.withRunningClient(configuration: self.configuration, body)
    }

    /// Runs `body` with a client of the server's maintenance database (to change this
    /// database from outside, e.g. refuse its connections).
    public static func withServerClient(_ body: (PostgresClient) async throws -> Void) async throws {
        try await Self.withAdminClient(try Self.adminURL(), body)
    }

    /// An outage of this database alone, as Mailgate sees one: with `allowed` false its
    /// sessions are ended and new ones refused (the server's other databases carry on).
    public func setConnections(allowed: Bool) async throws {
        try await Self.withServerClient { postgres in
            try await postgres.query(
                "ALTER DATABASE \(unescaped: self.name) ALLOW_CONNECTIONS \(unescaped: allowed ? "true" : "false")",
                logger: Self.logger
            )
            if !allowed {
                try await postgres.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(self.name)",
                    logger: Self.logger
                )
            }
        }
    }

    /// Writes refused while sessions go on (a database put in read-only mode, as after a
    /// failover to a standby or a full disk): with `readOnly` every new transaction is read
    /// only, and every session that began before the change is ended so that the pool's new
    /// ones follow it. A session can read the old setting while it starts and only appear in
    /// `pg_stat_activity` afterwards, so the sessions are ended until two passes in a row
    /// find none left.
    public func setReadOnly(_ readOnly: Bool) async throws {
        try await Self.withServerClient { postgres in
            try await postgres.query(
                "ALTER DATABASE \(unescaped: self.name) SET default_transaction_read_only = \(unescaped: readOnly ? "on" : "off")",
                logger: Self.logger
            )
            var changedAt = Date()
            for try await now in try await postgres.query("SELECT clock_timestamp()", logger: Self.logger)
                .decode(Date.self)
            {
                changedAt = now
            }
            var quietPasses = 0
            while quietPasses < 2 {
                var ended = 0
                let rows = try await postgres.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = \(self.name) AND backend_start <= \(changedAt)
                    """,
                    logger: Self.logger
                )
                for try await _ in rows { ended += 1 }
                quietPasses = ended == 0 ? quietPasses + 1 : 0
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Refuses new connections to this database (`ALLOW_CONNECTIONS false`) and ends the
    /// open ones, as when PostgreSQL is down: every pool waits for a connection it cannot
    /// get. `true` lets connections in again.
    public func setAcceptingConnections(_ accepting: Bool) async throws {
        try await Self.withServerClient { postgres in
            try await postgres.query(
                "ALTER DATABASE \(unescaped: self.name) ALLOW_CONNECTIONS \(unescaped: accepting ? "true" : "false")",
                logger: Self.logger
            )
            guard !accepting else { return }
            try await postgres.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(self.name)",
                logger: Self.logger
            )
        }
    }

    static let logger = Logger(label: "mailgate.test-database")

    static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["MAILGATE_TEST_DATABASE_URL"] else {
            throw TestEnvironmentError(
                "MAILGATE_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts PostgreSQL."
            )
        }
        return url
    }

    static func drop(_ name: String, adminURL: String) async throws {
        try await Self.withAdminClient(adminURL) { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: Self.logger)
        }
    }

    static func withAdminClient(_ url: String, _ body: (PostgresClient) async throws -> Void) async throws {
        try await Self.withRunningClient(configuration: try DatabaseConfiguration.parse(url), body)
    }

    public static func withRunningClient<Result: Sendable>(
        configuration: PostgresClient.Configuration,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        // The body may lease a connection before `run()` has started, which the pool warns
        // about and then serves anyway.
        var background = Self.logger
        background.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// The test environment lacks something `scripts/test` provides.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func replacingDatabase(with name: String) -> String {
        guard var components = URLComponents(string: self) else { return self }
        components.path = "/" + name
        return components.string ?? self
    }
}

/// The repository root (for migrations/, clients/c/): the nearest folder above the caller holding Package.swift.
public func repositoryRoot(file: StaticString = #filePath) -> URL {
    if let root = ProcessInfo.processInfo.environment["MAILGATE_TEST_ROOT"] { return URL(fileURLWithPath: root) }
    var folder = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
    while folder.path != "/",
        !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path)
    {
        folder.deleteLastPathComponent()
    }
    return folder
}
