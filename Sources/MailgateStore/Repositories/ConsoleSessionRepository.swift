import Foundation
import Logging
import PostgresNIO

/// A console session as its lookup finds it: who signed in and the form token.
public struct ConsoleSessionRecord: Sendable, Hashable {
    /// The API key that signed in.
    public var keyID: String
    /// The key's tenant; nil for an operator key.
    public var tenantID: UUID?
    public var tenantSlug: String?
    /// What every form of the session must carry.
    public var csrfToken: String
    public var createdAt: Date
    /// The absolute end.
    public var expiresAt: Date
}

/// The `console_sessions` table. Sessions are found by the SHA-256 of their id, so a copy of
/// the table opens none; a session ends when idle too long, at its absolute expiry, at
/// sign-out, or when its key is revoked or its tenant disabled (the lookup requires both).
public struct ConsoleSessionRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Sessions in `client`'s database.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Stores a new session for `keyID`, ending `lifetime` from now whatever its activity.
    public func create(
        idHash: [UInt8],
        keyID: String,
        csrfToken: String,
        lifetime: Duration,
        peer: String,
        userAgent: String
    ) async throws {
        try await self.client.tracedQuery(
            """
            INSERT INTO console_sessions (id_hash, key_id, csrf_token, expires_at, peer, user_agent)
            VALUES (\(Data(idHash)), \(keyID), \(csrfToken),
                    now() + make_interval(secs => \(Self.seconds(lifetime))), \(peer), \(String(userAgent.prefix(256))))
            """,
            logger: self.logger
        )
    }

    /// The live session with this id hash, or nil; records the activity (at most once a
    /// minute, to spare writes). A session idle for `idleTimeout` is no longer live, nor one
    /// whose key was revoked or whose tenant is disabled.
    public func find(idHash: [UInt8], idleTimeout: Duration) async throws -> ConsoleSessionRecord? {
        let idle = Self.seconds(idleTimeout)
        // Written at most once a minute, and often enough that idleness is measured within a
        // quarter of the timeout.
        let touchEvery = min(60, idle / 4)
        let rows = try await self.client.tracedQuery(
            """
            WITH live AS (
                SELECT s.id_hash, s.key_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at,
                       k.tenant_id, t.slug
                FROM console_sessions s
                JOIN api_keys k ON k.id = s.key_id AND k.revoked_at IS NULL
                LEFT JOIN tenants t ON t.id = k.tenant_id
                WHERE s.id_hash = \(Data(idHash)) AND s.expires_at > now()
                  AND s.last_seen_at > now() - make_interval(secs => \(idle))
                  AND (k.tenant_id IS NULL OR t.status = 'active')
            ), touched AS (
                UPDATE console_sessions s SET last_seen_at = now()
                FROM live
                WHERE s.id_hash = live.id_hash AND live.last_seen_at < now() - make_interval(secs => \(touchEvery))
            )
            SELECT key_id, tenant_id, slug, csrf_token, created_at, expires_at FROM live
            """,
            logger: self.logger
        )
        for try await (keyID, tenantID, slug, csrf, createdAt, expiresAt) in rows.decode(
            (String, UUID?, String?, String, Date, Date).self
        ) {
            return ConsoleSessionRecord(
                keyID: keyID,
                tenantID: tenantID,
                tenantSlug: slug,
                csrfToken: csrf,
                createdAt: createdAt,
                expiresAt: expiresAt
            )
        }
        return nil
    }

    /// Ends one session (sign-out).
    public func delete(idHash: [UInt8]) async throws {
        try await self.client.tracedQuery(
            "DELETE FROM console_sessions WHERE id_hash = \(Data(idHash))",
            logger: self.logger
        )
    }

    /// Removes sessions that can no longer be used; returns how many.
    @discardableResult
    public func deleteEnded(idleTimeout: Duration) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            DELETE FROM console_sessions
            WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => \(Self.seconds(idleTimeout)))
            RETURNING 1
            """,
            logger: self.logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
