import Foundation
import MailgateCore

/// Local development state kept under `.mailgate/` (never used without `--dev`).
enum DevEnvironment {
    static let directory = URL(fileURLWithPath: ".mailgate")

    /// Where scripts/dev's mail catcher keeps what it receives (N.eml and N.json).
    static var mailFolder: URL { self.directory.appendingPathComponent("mail") }

    /// The database URL scripts/dev wrote for its local PostgreSQL.
    static func databaseURL() -> String? {
        let file = self.directory.appendingPathComponent("dev-database-url")
        return (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The development operator key, made once and kept in `.mailgate/dev-operator-key` (mode 0600).
    static func operatorKey() throws -> APIKey {
        let file = self.directory.appendingPathComponent("dev-operator-key")
        if let text = try? String(contentsOf: file, encoding: .utf8),
            let key = APIKey(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return key
        }
        let key = APIKey.generate()
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: file.path,
            contents: Data((key.presentedForm.exposedValue + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        return key
    }
}
