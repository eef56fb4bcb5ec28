import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// Re-seals every stored secret (the output servers' secrets, then the PKCE verifiers of
/// consents and the webhook signing secrets) under the vault's active master key, in batches of
/// rows, each batch its own transaction: a run that stops half-way (crash, SIGKILL)
/// leaves every row readable, and the next run continues where it stopped. Once a
/// run reports nothing left, older keys can leave the ring.
public struct VaultRotation: Sendable {
    /// What a run did.
    public struct Report: Sendable, Hashable {
        /// Secrets re-sealed under the active key.
        public var resealed = 0
        /// Server rows touched.
        public var servers = 0
        /// Batches committed.
        public var batches = 0
        /// Secrets that could not be opened (unknown key or tampered), by "server id/column".
        public var unreadable: [String] = []
        /// PKCE verifiers of consents re-sealed under the active key.
        public var consentVerifiers = 0
        /// Webhook signing secrets re-sealed under the active key.
        public var webhookSecrets = 0
        /// Whether every secret is now under the active key (except unreadable ones).
        public var complete = false
    }

    let client: PostgresClient
    let vault: Vault
    let logger: Logger

    public init(client: PostgresClient, vault: Vault, logger: Logger) {
        self.client = client
        self.vault = vault
        self.logger = logger
    }

    /// Rotates in batches of `batchSize` servers; stops after `maximumBatches` if given.
    public func run(batchSize: Int = 100, maximumBatches: Int? = nil) async throws -> Report {
        var report = Report()
        var skipped: [UUID] = []
        let activePrefix = "v\(self.vault.keyRing.activeKeyID):%"
        while maximumBatches.map({ report.batches < $0 }) ?? true {
            let batch = try await self.client.transaction(logger: self.logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: ServerRow.columns) FROM output_servers
                    WHERE NOT (id = ANY(\(skipped)))
                      AND (password_sealed NOT LIKE \(activePrefix) OR client_secret_sealed NOT LIKE \(activePrefix)
                           OR refresh_token_sealed NOT LIKE \(activePrefix) OR access_token_sealed NOT LIKE \(activePrefix))
                    ORDER BY id LIMIT \(batchSize)
                    FOR UPDATE SKIP LOCKED
                    """,
                    logger: self.logger
                )
                var outcome: (resealed: Int, servers: Int, unreadable: [(UUID, String)]) = (0, 0, [])
                for server in try await ServerRow.decode(rows) {
                    var resealed: [SecretColumn: String] = [:]
                    for (column, envelope) in server.sealed where !self.vault.isSealedWithActiveKey(envelope) {
                        do {
                            let secret = try self.vault.open(envelope, at: server.location(of: column))
                            resealed[column] = self.vault.seal(secret, at: server.location(of: column))
                        } catch {
                            outcome.unreadable.append((server.id, column.rawValue))
                        }
                    }
                    guard !resealed.isEmpty else { continue }
                    try await connection.query(
                        """
                        UPDATE output_servers SET
                            password_sealed = coalesce(\(resealed[.password]), password_sealed),
                            client_secret_sealed = coalesce(\(resealed[.clientSecret]), client_secret_sealed),
                            refresh_token_sealed = coalesce(\(resealed[.refreshToken]), refresh_token_sealed),
                            access_token_sealed = coalesce(\(resealed[.accessToken]), access_token_sealed)
                        WHERE id = \(server.id)
                        """,
                        logger: self.logger
                    )
                    outcome.resealed += resealed.count
                    outcome.servers += 1
                }
                return outcome
            }
            for (id, column) in batch.unreadable {
                report.unreadable.append("\(id.uuidString.lowercased())/\(column)")
                skipped.append(id)
            }
            if batch.servers == 0 && batch.unreadable.isEmpty {
                // SKIP LOCKED found nothing, but rows locked by a put or delete right now were skipped:
                // only an unlocked count of zero means done.
                if try await self.remaining(activePrefix: activePrefix, skipping: skipped) == 0 {
                    report.complete = try await self.finishConsents(
                        activePrefix: activePrefix,
                        batchSize: batchSize,
                        into: &report
                    )
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            report.batches += 1
            report.resealed += batch.resealed
            report.servers += batch.servers
            self.logger.info(
                "vault rotation batch committed",
                metadata: ["resealed": "\(batch.resealed)", "servers": "\(batch.servers)"]
            )
        }
        return report
    }

    /// The consents' PKCE verifiers and the webhook secrets, once the servers are done;
    /// whether nothing is left.
    private func finishConsents(activePrefix: String, batchSize: Int, into report: inout Report) async throws -> Bool {
        let consents = try await self.resealConsentVerifiers(activePrefix: activePrefix, batchSize: batchSize)
        report.consentVerifiers = consents.resealed
        report.unreadable += consents.unreadable.map { "consent \($0.prefix(12))" }
        let webhooks = try await self.resealWebhookSecrets(activePrefix: activePrefix, batchSize: batchSize)
        report.webhookSecrets = webhooks.resealed
        report.unreadable += webhooks.unreadable.map { "webhook subscription \($0.uuidString.lowercased())" }
        let consentsLeft = try await self.consentVerifiersRemaining(
            activePrefix: activePrefix,
            skipping: consents.unreadable
        )
        let webhooksLeft = try await self.webhookSecretsRemaining(
            activePrefix: activePrefix,
            skipping: webhooks.unreadable
        )
        return consentsLeft == 0 && webhooksLeft == 0
    }

    private func remaining(activePrefix: String, skipping skipped: [UUID]) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*) FROM output_servers
            WHERE NOT (id = ANY(\(skipped)))
              AND (password_sealed NOT LIKE \(activePrefix) OR client_secret_sealed NOT LIKE \(activePrefix)
                   OR refresh_token_sealed NOT LIKE \(activePrefix) OR access_token_sealed NOT LIKE \(activePrefix))
            """,
            logger: self.logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
