import ArgumentParser
import Foundation
import MailgateCore
import MailgateService
import MailgateStore

struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Master key operations.",
        subcommands: [Rotate.self, GenerateKey.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored secret under the active (highest-id) master key.",
            discussion: """
                Works on the database directly, in batches, each its own transaction: safe while
                servers run, and safe to interrupt: run it again to continue. When it reports
                complete, keys with lower ids can leave the ring. Exit status 0 complete, 1 when
                some secrets could not be opened (listed; they keep their old seal).
                """
        )
        @Option(help: "PostgreSQL URL. [env: MAILGATE_DATABASE_URL]") var databaseURL: String?
        @Option(help: "Master key ring file. [env: MAILGATE_MASTER_KEYS_FILE, or MAILGATE_MASTER_KEYS]")
        var masterKeysFile: String?
        @Option(help: "Servers per transaction.") var batchSize: Int = 100
        @Option(help: "Output format: table for people, json for scripts (same exit statuses).")
        var format: OutputFormat = .table

        func run() async throws {
            do {
                let ring = try MasterKeys.load(
                    try SettingValues(flags: [SettingsTable.masterKeysFile: self.masterKeysFile]),
                    dev: false
                )
                let report = try await DirectDatabase.run(url: self.databaseURL) { client, logger in
                    try await VaultRotation(client: client, vault: Vault(keyRing: ring), logger: logger)
                        .run(batchSize: max(1, self.batchSize))
                }
                if self.format == .json {
                    printJSONObject([
                        "active_key": Int(ring.activeKeyID), "resealed_secrets": report.resealed,
                        "servers": report.servers, "batches": report.batches,
                        "resealed_consent_verifiers": report.consentVerifiers,
                        "resealed_webhook_secrets": report.webhookSecrets,
                        "complete": report.complete && report.unreadable.isEmpty, "unreadable": report.unreadable,
                    ])
                    if !report.complete || !report.unreadable.isEmpty { throw ExitCode(1) }
                    return
                }
                print("active key: \(ring.activeKeyID)")
                print("re-sealed: \(report.resealed) secrets on \(report.servers) servers in \(report.batches) batches")
                print("re-sealed: \(report.consentVerifiers) PKCE verifiers of consents")
                print("re-sealed: \(report.webhookSecrets) webhook signing secrets")
                if report.unreadable.isEmpty && !report.complete {
                    // Rows locked by a put or a consent callback while the run ended: run it again.
                    print("incomplete: some secrets were being changed; run vault rotate again")
                    throw ExitCode(1)
                } else if report.unreadable.isEmpty {
                    print(
                        "complete: every secret is sealed with key \(ring.activeKeyID); older keys may be removed from the ring"
                    )
                } else {
                    print("unreadable (left as they were): \(report.unreadable.joined(separator: ", "))")
                    throw ExitCode(1)
                }
            } catch let error as ConfigurationError {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(78)
            } catch let error as CLIError {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(64)
            }
        }
    }

    struct GenerateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key",
            abstract: "Print a new master key entry id:base64 to add to the ring."
        )
        @Argument(help: "The new key's id: higher than every id in the ring, so it becomes active.") var id: UInt32
        @Option(help: "Output format: the ring line (table), or json with the id and the line.")
        var format: OutputFormat = .table

        func run() throws {
            let line = "\(self.id):\(MasterKeyRing.randomKeyBase64())"
            if self.format == .json { printJSONObject(["id": Int(self.id), "line": line]) } else { print(line) }
        }
    }
}
