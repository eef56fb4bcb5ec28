import Logging
import PostgresNIO

/// Which master keys seal what is stored now: the output servers' secrets, the PKCE
/// verifiers of consents and the webhook signing secrets. A key that still seals something must stay in the ring until
/// `mailgate vault rotate` has re-sealed it under the active key.
public struct MasterKeyUsage: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Sealed values by the id of the key that sealed them (`v<id>:…`).
    public func sealedValuesByKey() async throws -> [UInt32: Int] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT substring(sealed FROM '^v([0-9]+):')::bigint AS key_id, count(*) FROM (
                SELECT unnest(ARRAY[password_sealed, client_secret_sealed, refresh_token_sealed, access_token_sealed])
                    AS sealed FROM output_servers
                UNION ALL
                SELECT verifier_sealed FROM oauth_authorizations
                UNION ALL
                SELECT secret_sealed FROM webhook_subscriptions
            ) s
            WHERE sealed IS NOT NULL AND sealed ~ '^v[0-9]+:'
            GROUP BY 1
            """,
            logger: self.logger
        )
        var usage: [UInt32: Int] = [:]
        for try await (keyID, count) in rows.decode((Int64, Int).self) { usage[UInt32(keyID)] = count }
        return usage
    }
}
