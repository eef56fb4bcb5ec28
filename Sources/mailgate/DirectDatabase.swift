import Foundation
import Logging
import MailgateStore
import PostgresNIO

/// Commands that work on the database directly (bootstrap, rotation), not through a server.
enum DirectDatabase {
    /// Runs `body` with a client of `MAILGATE_DATABASE_URL` / `--database-url`.
    static func run<Result: Sendable>(
        url: String?,
        _ body: (PostgresClient, Logger) async throws -> Result
    ) async throws -> Result {
        guard let url = url ?? ProcessInfo.processInfo.environment["MAILGATE_DATABASE_URL"] else {
            throw CLIError("No database: set MAILGATE_DATABASE_URL or --database-url.")
        }
        var logger = Logger(label: "mailgate")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: try DatabaseConfiguration.parse(url), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client, logger)
        }
    }
}
