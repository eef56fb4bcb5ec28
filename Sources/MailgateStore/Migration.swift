import Crypto
import Foundation

/// One numbered SQL file of `migrations/`, e.g. `0001_tenants_and_keys.sql`.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    /// SHA-256 of the file's bytes, hex: a changed file after it was applied is refused.
    public var checksum: String {
        SHA256.hash(data: Array(self.sql.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Loads every `NNNN_name.sql` file of `directory`, ordered by number.
    public static func load(from directory: URL) throws(StoreError) -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StoreError(.migrationsNotFound, "Cannot read the migrations folder \(directory.path).")
        }
        var migrations: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let separator = stem.firstIndex(of: "_"), let version = Int(stem[..<separator]), version > 0 else {
                throw StoreError(.invalidMigration, "Migration file \(file) is not named NNNN_name.sql.")
            }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw StoreError(.invalidMigration, "Migration file \(file) is not readable UTF-8.")
            }
            migrations.append(
                Migration(version: version, name: String(stem[stem.index(after: separator)...]), sql: sql)
            )
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw StoreError(.invalidMigration, "Two migration files have number \(next.version).")
        }
        return migrations
    }

    /// Finds the `migrations` folder: `MAILGATE_MIGRATIONS_DIR`, then `./migrations`,
    /// then next to or above the running executable (`.build/debug/../../migrations`,
    /// `bin/../share/mailgate/migrations`).
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let configured = environment["MAILGATE_MIGRATIONS_DIR"] { return URL(fileURLWithPath: configured) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations"),
            executable.appendingPathComponent("migrations"),
            executable.appendingPathComponent("../share/mailgate/migrations"),
            executable.appendingPathComponent("../../migrations"),
            executable.appendingPathComponent("../../../migrations"),
        ]
        return candidates.first { candidate in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }?.standardizedFileURL
    }
}
