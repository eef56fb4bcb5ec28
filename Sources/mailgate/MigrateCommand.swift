import ArgumentParser
import Foundation
import Logging
import MailgateStore
import PostgresNIO

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (serve does this at start too).",
        discussion: """
            Migrations are the numbered SQL files of migrations/, applied in order, each in
            its own transaction, under an advisory lock. A file changed after it was applied
            is refused. Exit status: 0 current, 1 on failure; with --status, 3 when some are pending.
            """
    )

    @Option(help: "PostgreSQL URL. [env: MAILGATE_DATABASE_URL]")
    var databaseURL: String?

    @Option(help: "Folder of NNNN_name.sql migrations. [env: MAILGATE_MIGRATIONS_DIR]")
    var migrationsDir: String?

    @Flag(help: "Only report which migrations are pending; apply nothing.")
    var status = false

    @Option(help: "Output format: table for people, json for scripts.")
    var format: OutputFormat = .table

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = self.databaseURL ?? environment["MAILGATE_DATABASE_URL"] else {
            throw ValidationError("No database: set MAILGATE_DATABASE_URL or --database-url.")
        }
        guard
            let directory = (self.migrationsDir ?? environment["MAILGATE_MIGRATIONS_DIR"]).map(
                URL.init(fileURLWithPath:)
            )
                ?? Migration.defaultDirectory()
        else {
            throw ValidationError("Cannot find the migrations folder: set MAILGATE_MIGRATIONS_DIR.")
        }
        var logger = Logger(label: "mailgate.migrate")
        logger.logLevel = .warning
        do {
            let runner = MigrationRunner(migrations: try Migration.load(from: directory), logger: logger)
            let client = PostgresClient(configuration: try DatabaseConfiguration.parse(url), backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                if self.status {
                    let pending = try await runner.pending(on: client)
                    if self.format == .json {
                        printJSONObject(["current": pending.isEmpty, "pending": pending])
                    } else {
                        print(
                            pending.isEmpty
                                ? "database is current"
                                : "pending migrations: \(pending.map(String.init).joined(separator: ", "))"
                        )
                    }
                    if !pending.isEmpty { throw ExitCode(3) }
                } else {
                    let outcome = try await runner.run(on: client)
                    if self.format == .json {
                        printJSONObject([
                            "applied": outcome.applied,
                            "already_applied": outcome.alreadyApplied,
                        ])
                    } else {
                        print(
                            outcome.applied.isEmpty
                                ? "database is current (\(outcome.alreadyApplied.count) migrations applied before)"
                                : "applied migrations: \(outcome.applied.map(String.init).joined(separator: ", "))"
                        )
                    }
                }
            }
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
