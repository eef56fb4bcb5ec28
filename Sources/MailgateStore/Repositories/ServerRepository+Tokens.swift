import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// What a token refresh writes, decided while the server row is locked.
public enum TokenWrite: Sendable {
    /// Nothing: the token another caller stored meanwhile is good.
    case none
    /// A new access token, and the refresh token that came with it (rotation).
    case store(NewAccessToken)
    /// A failed request: recorded so delivery waits and the operator sees why.
    case failure(TokenFailureRecord)
}

/// An access token to store, sealed, in the same transaction as a rotated refresh token.
public struct NewAccessToken: Sendable {
    public var accessToken: Secret
    public var expiresAt: Date
    public var scopes: [String]
    /// Replaces the stored refresh token (the old one is dropped) when set.
    public var refreshToken: Secret?
    /// Raised with the write (recovery after failures, a completed consent).
    public var events: [NewEvent]

    public init(accessToken: Secret, expiresAt: Date, scopes: [String], refreshToken: Secret?, events: [NewEvent] = [])
    {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
        self.scopes = scopes
        self.refreshToken = refreshToken
        self.events = events
    }
}

/// A failed token request as recorded on the server.
public struct TokenFailureRecord: Sendable {
    public var reason: TokenFailureReason
    public var detail: String
    public var retryAt: Date
    /// AADSTS7000222: the client secret is expired now, whatever its date said.
    public var clientSecretExpired: Bool
    public var events: [NewEvent]

    public init(
        reason: TokenFailureReason,
        detail: String,
        retryAt: Date,
        clientSecretExpired: Bool,
        events: [NewEvent]
    ) {
        self.reason = reason
        self.detail = detail
        self.retryAt = retryAt
        self.clientSecretExpired = clientSecretExpired
        self.events = events
    }
}

extension ServerRepository {
    /// Runs `body` with the server's row locked (`FOR NO KEY UPDATE`: puts wait, consent
    /// inserts referencing the row do not), so one caller across all replicas requests a
    /// token at a time; the others wait and then see its result in the row `body`
    /// receives. What `body` returns is written in the same transaction.
    public func withTokenLock<Outcome: Sendable>(
        tenantID: UUID,
        serverID: UUID,
        now: @escaping @Sendable () -> Date = Date.init,
        _ body: @escaping @Sendable (ServerRecord) async -> (TokenWrite, Outcome)
    ) async throws -> (ServerRecord, Outcome) {
        try await self.client.transaction(logger: self.logger) { connection in
            // Longer than one refresh can hold the lock (two requests and the pause between).
            try await connection.query("SET LOCAL lock_timeout = '90s'", logger: self.logger)
            let rows = try await connection.query(
                "SELECT \(unescaped: ServerRow.columns) FROM output_servers WHERE tenant_id = \(tenantID) AND id = \(serverID) FOR NO KEY UPDATE",
                logger: self.logger
            )
            guard let locked = try await ServerRow.decode(rows).first else {
                throw StoreError(.notFound, "The server no longer exists.")
            }
            let (write, outcome) = await body(locked)
            let stored: ServerRecord
            switch write {
            case .none:
                stored = locked
            case .store(let token):
                stored = try await self.store(token, for: locked, at: now(), on: connection)
                for event in token.events {
                    try await EventRepository.append(event, on: connection, logger: self.logger)
                }
            case .failure(let failure):
                stored = try await self.record(failure, for: locked, at: now(), on: connection)
                for event in failure.events {
                    try await EventRepository.append(event, on: connection, logger: self.logger)
                }
            }
            return (stored, outcome)
        }
    }

    private func store(
        _ token: NewAccessToken,
        for server: ServerRecord,
        at now: Date,
        on connection: PostgresConnection
    ) async throws -> ServerRecord {
        let accessSealed = self.vault.seal(token.accessToken, at: server.location(of: .accessToken))
        let refreshSealed = token.refreshToken.map { self.vault.seal($0, at: server.location(of: .refreshToken)) }
        let rows = try await connection.query(
            """
            UPDATE output_servers SET
                access_token_sealed = \(accessSealed), access_token_set_at = \(now),
                access_token_expires_at = \(token.expiresAt), access_token_scopes = \(token.scopes),
                refresh_token_sealed = COALESCE(\(refreshSealed)::text, refresh_token_sealed),
                refresh_token_set_at = CASE WHEN \(refreshSealed)::text IS NULL THEN refresh_token_set_at ELSE \(now) END,
                token_failure_reason = '', token_failure_detail = '', token_failures = 0,
                token_failed_at = NULL, token_retry_at = NULL
            WHERE id = \(server.id)
            RETURNING \(unescaped: ServerRow.columns)
            """,
            logger: self.logger
        )
        return try await ServerRow.decode(rows).first!
    }

    private func record(
        _ failure: TokenFailureRecord,
        for server: ServerRecord,
        at now: Date,
        on connection: PostgresConnection
    ) async throws -> ServerRecord {
        let rows = try await connection.query(
            """
            UPDATE output_servers SET
                token_failure_reason = \(failure.reason.rawValue), token_failure_detail = \(failure.detail),
                token_failures = token_failures + 1, token_failed_at = \(now), token_retry_at = \(failure.retryAt),
                client_secret_expires_at = CASE WHEN \(failure.clientSecretExpired)
                    THEN LEAST(COALESCE(client_secret_expires_at, \(now)), \(now)) ELSE client_secret_expires_at END,
                client_secret_expiry_source = CASE WHEN \(failure.clientSecretExpired)
                    THEN 'provider' ELSE client_secret_expiry_source END
            WHERE id = \(server.id)
            RETURNING \(unescaped: ServerRow.columns)
            """,
            logger: self.logger
        )
        return try await ServerRow.decode(rows).first!
    }
}
