import Foundation
import Logging
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

@Suite("Migrations against PostgreSQL")
struct MigrationRunnerTests {
    let logger = Logger(label: "test")

    var shipped: [Migration] {
        get throws { try Migration.load(from: repositoryRoot().appendingPathComponent("migrations")) }
    }

    @Test("a fresh database gets every migration; running again is a no-op")
    func freshThenRerun() async throws {
        let migrations = try self.shipped
        #expect(!migrations.isEmpty)
        try await TestDatabase.withFresh { database in
            try await database.withClient { client in
                let runner = MigrationRunner(migrations: migrations, logger: self.logger)
                let first = try await runner.run(on: client)
                #expect(first.applied == migrations.map(\.version))
                let second = try await runner.run(on: client)
                #expect(second.applied.isEmpty)
                #expect(second.alreadyApplied == migrations.map(\.version))
                #expect(try await runner.pending(on: client).isEmpty)
                let tables = try await client.query(
                    "SELECT count(*)::int FROM information_schema.tables WHERE table_name IN ('tenants', 'api_keys', 'workers')",
                    logger: self.logger
                )
                for try await count in tables.decode(Int.self) { #expect(count == 3) }
            }
        }
    }

    @Test("an applied migration whose file changed is refused before anything runs")
    func tampered() async throws {
        let original = [Migration(version: 1, name: "one", sql: "CREATE TABLE one (x int);")]
        let tampered = [
            Migration(version: 1, name: "one", sql: "CREATE TABLE one (x bigint);"),
            Migration(version: 2, name: "two", sql: "CREATE TABLE two (x int);"),
        ]
        try await TestDatabase.withFresh { database in
            try await database.withClient { client in
                try await MigrationRunner(migrations: original, logger: self.logger).run(on: client)
                let error = await #expect(throws: StoreError.self) {
                    try await MigrationRunner(migrations: tampered, logger: self.logger).run(on: client)
                }
                #expect(error?.code == .migrationTampered)
                let twoExists = try await self.tableExists("two", client)
                #expect(!twoExists)
            }
        }
    }

    @Test("a database with a migration this build does not know is refused")
    func unknownApplied() async throws {
        let newer = [
            Migration(version: 1, name: "one", sql: "CREATE TABLE one (x int);"),
            Migration(version: 2, name: "two", sql: "CREATE TABLE two (x int);"),
        ]
        try await TestDatabase.withFresh { database in
            try await database.withClient { client in
                try await MigrationRunner(migrations: newer, logger: self.logger).run(on: client)
                let error = await #expect(throws: StoreError.self) {
                    try await MigrationRunner(migrations: Array(newer.prefix(1)), logger: self.logger).run(on: client)
                }
                #expect(error?.code == .unknownAppliedMigration)
            }
        }
    }

    @Test("a failing migration leaves nothing of itself behind; earlier ones stay applied")
    func failingMigrationRollsBack() async throws {
        let migrations = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE good (x int);"),
            Migration(version: 2, name: "bad", sql: "CREATE TABLE half (x int);\nSELECT * FROM no_such_table;"),
        ]
        try await TestDatabase.withFresh { database in
            try await database.withClient { client in
                let runner = MigrationRunner(migrations: migrations, logger: self.logger)
                let error = await #expect(throws: StoreError.self) { _ = try await runner.run(on: client) }
                #expect(error?.code == .migrationFailed)
                let goodExists = try await self.tableExists("good", client)
                let halfExists = try await self.tableExists("half", client)
                let pending = try await runner.pending(on: client)
                #expect(goodExists)
                #expect(!halfExists)
                #expect(pending == [2])
            }
        }
    }

    @Test("replicas migrating at the same time apply each migration exactly once")
    func concurrentRunners() async throws {
        let migrations = try self.shipped
        try await TestDatabase.withFresh { database in
            try await database.withClient { client in
                let outcomes = try await withThrowingTaskGroup(of: MigrationRunner.Outcome.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            try await MigrationRunner(migrations: migrations, logger: self.logger).run(on: client)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.flatMap(\.applied).sorted() == migrations.map(\.version))
            }
        }
    }

    @Test("migration files are named NNNN_name.sql; others are refused")
    func fileNaming() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("0002_b.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_a.sql"), atomically: true, encoding: .utf8)
        #expect(try Migration.load(from: directory).map(\.version) == [1, 2])
        try "SELECT 1;".write(to: directory.appendingPathComponent("first.sql"), atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try Migration.load(from: directory) }
    }

    func tableExists(_ name: String, _ client: PostgresClient) async throws -> Bool {
        let rows = try await client.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: self.logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }
}
