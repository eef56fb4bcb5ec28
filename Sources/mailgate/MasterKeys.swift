import Foundation
import MailgateCore
import MailgateService

/// Loads the vault's master key ring: `--master-keys-file`, else `MAILGATE_MASTER_KEYS_FILE`,
/// else `MAILGATE_MASTER_KEYS` (entries inline), else — with `--dev` only — a ring
/// generated once and kept in `.mailgate/master-keys`. Without one, Mailgate refuses to start.
enum MasterKeys {
    static func load(_ values: SettingValues, dev: Bool) throws -> MasterKeyRing {
        do {
            if let path = values[SettingsTable.masterKeysFile] {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ConfigurationError("Cannot read the master key file \(path).")
                }
                return try MasterKeyRing(parsing: text)
            }
            if let inline = values[SettingsTable.masterKeys] {
                return try MasterKeyRing(parsing: inline)
            }
        } catch let error as VaultError {
            throw ConfigurationError(error.description)
        }
        guard dev else {
            throw ConfigurationError(
                """
                No master keys: set MAILGATE_MASTER_KEYS_FILE (or MAILGATE_MASTER_KEYS) to entries id:base64, \
                e.g. "1:$(openssl rand -base64 32)". Secrets are sealed with them; keep them out of the database.
                """
            )
        }
        return try self.developmentRing()
    }

    private static func developmentRing() throws -> MasterKeyRing {
        let file = DevEnvironment.directory.appendingPathComponent("master-keys")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            return try MasterKeyRing(parsing: text)
        }
        let (ring, text) = MasterKeyRing.generate()
        try FileManager.default.createDirectory(at: DevEnvironment.directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: file.path,
            contents: Data((text + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        return ring
    }
}
