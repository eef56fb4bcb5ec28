import Foundation
import MailgateCore
import PostgresNIO

extension VaultRotation {
    /// Re-seals the webhook signing secrets under the active key, in batches of
    /// `batchSize` rows, each its own transaction; returns how many, and the subscriptions
    /// whose secret could not be opened.
    func resealWebhookSecrets(activePrefix: String, batchSize: Int) async throws -> (
        resealed: Int, unreadable: [UUID]
    ) {
        try await self.resealInBatches { connection, skipped in
            let rows = try await connection.query(
                """
                SELECT id, tenant_id, secret_sealed FROM webhook_subscriptions
                WHERE secret_sealed NOT LIKE \(activePrefix) AND NOT (id = ANY(\(skipped)))
                ORDER BY id LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger
            )
            // Read whole before writing: one connection runs one query at a time.
            let subscriptions = try await rows.decode((UUID, UUID, String).self).all()
            var outcome: (resealed: Int, unreadable: [UUID]) = (0, [])
            for (id, tenantID, sealed) in subscriptions {
                let location = WebhookSubscriptionRepository.location(tenantID: tenantID, subscriptionID: id)
                guard let secret = try? self.vault.open(sealed, at: location) else {
                    outcome.unreadable.append(id)
                    continue
                }
                try await connection.query(
                    """
                    UPDATE webhook_subscriptions SET secret_sealed = \(self.vault.seal(secret, at: location))
                    WHERE id = \(id)
                    """,
                    logger: self.logger
                )
                outcome.resealed += 1
            }
            return outcome
        }
    }

    /// Webhook secrets not under the active key, besides the unreadable ones.
    func webhookSecretsRemaining(activePrefix: String, skipping skipped: [UUID]) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*) FROM webhook_subscriptions
            WHERE secret_sealed NOT LIKE \(activePrefix) AND NOT (id = ANY(\(skipped)))
            """,
            logger: self.logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
