import Foundation
import MailgateCore
import PostgresNIO

extension VaultRotation {
    /// Re-seals the PKCE verifiers of consents under the active key, in batches of
    /// `batchSize` rows, each its own transaction; returns how many, and the consents whose
    /// verifier could not be opened (by the first characters of their state digest).
    func resealConsentVerifiers(activePrefix: String, batchSize: Int) async throws -> (
        resealed: Int, unreadable: [String]
    ) {
        try await self.resealInBatches { connection, skipped in
            let rows = try await connection.query(
                """
                SELECT state_digest, tenant_id, server_id, verifier_sealed FROM oauth_authorizations
                WHERE verifier_sealed NOT LIKE \(activePrefix) AND NOT (encode(state_digest, 'hex') = ANY(\(skipped)))
                ORDER BY state_digest LIMIT \(batchSize)
                FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger
            )
            // Read whole before writing: one connection runs one query at a time.
            let consents = try await rows.decode((ByteBuffer, UUID, UUID, String).self).all()
            var outcome: (resealed: Int, unreadable: [String]) = (0, [])
            for (digest, tenantID, serverID, sealed) in consents {
                let digestBytes = Array(digest.readableBytesView)
                let location = AuthorizationRepository.location(
                    tenantID: tenantID,
                    serverID: serverID,
                    digest: digestBytes
                )
                guard let verifier = try? self.vault.open(sealed, at: location) else {
                    outcome.unreadable.append(Hex.string(digestBytes))
                    continue
                }
                try await connection.query(
                    """
                    UPDATE oauth_authorizations SET verifier_sealed = \(self.vault.seal(verifier, at: location))
                    WHERE state_digest = \(digest)
                    """,
                    logger: self.logger
                )
                outcome.resealed += 1
            }
            return outcome
        }
    }

    /// Consent verifiers not under the active key, besides the unreadable ones.
    func consentVerifiersRemaining(activePrefix: String, skipping skipped: [String]) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*) FROM oauth_authorizations
            WHERE verifier_sealed NOT LIKE \(activePrefix) AND NOT (encode(state_digest, 'hex') = ANY(\(skipped)))
            """,
            logger: self.logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
