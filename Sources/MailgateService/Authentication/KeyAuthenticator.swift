import Foundation
import Logging
import MailgateCore
import MailgateRPC
import MailgateStore
import Synchronization

/// Authenticates calls against the keys in `api_keys`.
///
/// Verified key records are cached for `cacheTTL` (2 s by default), so a busy key costs
/// no query per call, and a revocation or a disabled tenant reaches every replica within
/// that time. The secret's hash is compared in constant time on every call, cached or
/// not. `last_used_at` is written when a key's cache entry is refreshed and the stored
/// time is more than a minute old: at most one write per key a minute per replica.
public final class KeyAuthenticator: CallAuthenticator, Sendable {
    private struct Entry {
        var record: KeyVerificationRecord?
        var fetchedAt: ContinuousClock.Instant
    }

    private let keys: APIKeyRepository
    private let health: DatabaseHealth
    private let cacheTTL: Duration
    private let maximumEntries: Int
    private let logger: Logger
    private let cache = Mutex<[String: Entry]>([:])

    public init(
        keys: APIKeyRepository,
        health: DatabaseHealth,
        cacheTTL: Duration = .seconds(2),
        maximumEntries: Int = 10_000,
        logger: Logger
    ) {
        self.keys = keys
        self.health = health
        self.cacheTTL = cacheTTL
        self.maximumEntries = maximumEntries
        self.logger = logger
    }

    public func authenticate(metadata: [String: String], method: String, peer: PeerAddress) async throws -> Principal {
        let presented = try AuthenticationFailure.parseKey(metadata)
        let (record, refreshed) = try await self.record(for: presented.id)
        // The hash is compared even for unknown ids, so timing says nothing about which ids exist.
        let matches = presented.matches(storedHash: record?.secretHash ?? Array(repeating: 0, count: 32))
        guard let record, matches, !record.revoked else { throw AuthenticationFailure.unknownKey }
        if refreshed, record.lastUsedAt.map({ Date().timeIntervalSince($0) > 60 }) ?? true {
            await self.markUsed(record.keyID)
        }
        guard let tenantID = record.tenantID else {
            return Principal(keyID: record.keyID, scope: .operator_)
        }
        guard record.tenantStatus == .active, let slug = record.tenantSlug else {
            throw AuthenticationFailure.tenantDisabled
        }
        return Principal(keyID: record.keyID, scope: .tenant(TenantReference(id: tenantID, slug: slug)))
    }

    /// Forgets every cached key (tests, and after local revocations).
    public func invalidateCache() {
        self.cache.withLock { $0.removeAll() }
    }

    /// The key's record, from the cache or (refreshed = true) from the database.
    private func record(for keyID: String) async throws -> (KeyVerificationRecord?, refreshed: Bool) {
        let now = ContinuousClock.now
        let cached = self.cache.withLock { $0[keyID] }
        if let cached, now - cached.fetchedAt < self.cacheTTL { return (cached.record, false) }

        let record = try await self.health.guarding { try await self.keys.verificationRecord(id: keyID) }
        self.cache.withLock { entries in
            if entries.count >= self.maximumEntries {
                // Unknown ids go first, so callers probing random ids cannot push real keys out.
                entries = entries.filter { $0.value.record != nil }
                if entries.count >= self.maximumEntries { entries.removeAll(keepingCapacity: true) }
            }
            entries[keyID] = Entry(record: record, fetchedAt: now)
        }
        return (record, true)
    }

    private func markUsed(_ keyID: String) async {
        do {
            try await self.keys.markUsed(ids: [keyID])
        } catch {
            self.logger.warning("cannot record key use", metadata: ["key_id": "\(keyID)"])
        }
    }
}
