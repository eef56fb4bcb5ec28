import Foundation
import Logging
import MailgateCore
import NIOCore
import PostgresNIO

/// A consent in progress, as stored (the verifier opened).
public struct PendingAuthorization: Sendable {
    public var tenantID: UUID
    public var serverID: UUID
    public var keyID: String
    public var verifier: Secret
    public var redirectURI: String
    public var expiresAt: Date
}

/// The `oauth_authorizations` table: single-use consent states.
public struct AuthorizationRepository: Sendable {
    let client: PostgresClient
    let vault: Vault
    let logger: Logger

    public init(client: PostgresClient, vault: Vault, logger: Logger) {
        self.client = client
        self.vault = vault
        self.logger = logger
    }

    /// Why a state cannot be used.
    public enum Refusal: Error, Sendable {
        /// Never issued (or purged a day after it expired).
        case unknown
        /// Taken before: a consent link works once. `firstReuse` is true only the first
        /// time it is replayed (one event, however often that happens).
        case alreadyUsed(PendingAuthorization, firstReuse: Bool)
        case expired(PendingAuthorization)
        /// Issued to another key.
        case otherKey
    }

    /// Stores a new consent state (its digest) with the sealed verifier.
    public func begin(
        state: String,
        tenantID: UUID,
        serverID: UUID,
        keyID: String,
        verifier: Secret,
        redirectURI: String,
        expiresAt: Date
    ) async throws {
        let digest = PKCE.stateDigest(state)
        let sealed = self.vault.seal(
            verifier,
            at: Self.location(tenantID: tenantID, serverID: serverID, digest: digest)
        )
        try await self.client.tracedQuery(
            """
            WITH purged AS (DELETE FROM oauth_authorizations WHERE expires_at < now() - interval '1 day')
            INSERT INTO oauth_authorizations (state_digest, tenant_id, server_id, key_id, verifier_sealed, redirect_uri, expires_at)
            VALUES (\(ByteBuffer(bytes: digest)), \(tenantID), \(serverID), \(keyID), \(sealed), \(redirectURI), \(expiresAt))
            """,
            logger: self.logger
        )
    }

    /// Consumes a state: it can be taken once (it is marked used, and kept a day so a
    /// second use is told so). A state issued to another key is left as it is
    /// (`otherKey`); an expired one is consumed and refused.
    /// - Parameter keyID: the key completing it, or nil for the browser callback (the state is the proof).
    public func take(state: String, keyID: String?) async throws -> Result<PendingAuthorization, Refusal> {
        let digest = PKCE.stateDigest(state)
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                SELECT tenant_id, server_id, key_id, verifier_sealed, redirect_uri, expires_at, used_at, reuse_reported
                FROM oauth_authorizations WHERE state_digest = \(ByteBuffer(bytes: digest)) FOR UPDATE
                """,
                logger: self.logger
            )
            var found: (UUID, UUID, String, String, String, Date, Date?, Bool)?
            for try await row in rows.decode((UUID, UUID, String, String, String, Date, Date?, Bool).self) {
                found = row
            }
            guard let (tenantID, serverID, owner, sealed, redirectURI, expiresAt, usedAt, reuseReported) = found else {
                return .failure(.unknown)
            }
            if let keyID, keyID != owner { return .failure(.otherKey) }
            try await connection.query(
                """
                UPDATE oauth_authorizations SET used_at = COALESCE(used_at, now()), reuse_reported = used_at IS NOT NULL
                WHERE state_digest = \(ByteBuffer(bytes: digest))
                """,
                logger: self.logger
            )
            let verifier: Secret
            do {
                verifier = try self.vault.open(
                    sealed,
                    at: Self.location(tenantID: tenantID, serverID: serverID, digest: digest)
                )
            } catch let error as VaultError {
                throw StoreError(.secretUnreadable, error.description, underlying: error)
            }
            let pending = PendingAuthorization(
                tenantID: tenantID,
                serverID: serverID,
                keyID: owner,
                verifier: verifier,
                redirectURI: redirectURI,
                expiresAt: expiresAt
            )
            if usedAt != nil { return .failure(.alreadyUsed(pending, firstReuse: !reuseReported)) }
            return expiresAt < Date() ? .failure(.expired(pending)) : .success(pending)
        }
    }

    /// The verifier's seal is bound to its server and state.
    static func location(tenantID: UUID, serverID: UUID, digest: [UInt8]) -> SecretLocation {
        SecretLocation(
            tenantID: tenantID.uuidString,
            serverID: serverID.uuidString,
            column: "pkce_verifier:" + Hex.string(digest)
        )
    }
}
