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
/// that time. Unknown key ids are remembered as such for `settings.unknownKeyCacheTTL`. The
/// secret's hash is compared in constant time on every call, cached or not. `last_used_at` is
/// written when a key's cache entry is refreshed and the stored time is more than a minute old:
/// at most one write per key a minute per replica.
///
/// Failed authentications are counted per client address (`FailedAuthenticationAllowance`). An
/// address past its allowance may not make this replica look up key ids it does not know to be
/// valid: such calls, and any other failure from it, get RESOURCE_EXHAUSTED
/// (`AUTHENTICATION_RATE_LIMITED`) until the allowance refills. So a flood of random keys costs
/// a few queries a second per address, while keys this replica has seen to be valid keep working
/// from the same address (their records are still refreshed, for revocations).
public final class KeyAuthenticator: CallAuthenticator, Sendable {
    private struct Entry {
        var record: KeyVerificationRecord?
        var fetchedAt: ContinuousClock.Instant
    }

    private struct Cache {
        var entries: [String: Entry] = [:]
        /// Lookups under way: concurrent calls with one key id share one query, and one failure
        /// charged to their address (fifty calls with a new key must not use up its allowance).
        var lookups: [String: Task<KeyVerificationRecord?, any Error>] = [:]
    }

    /// A key id's record, and how it was found.
    private struct Lookup {
        var record: KeyVerificationRecord?
        /// Read from the database rather than the cache.
        var refreshed: Bool
        /// The lookup cost the caller's address a failure up front, to be refunded if the key is valid.
        var charged: Bool
    }

    private let keys: APIKeyRepository
    private let health: DatabaseHealth
    private let cacheTTL: Duration
    private let unknownKeyCacheTTL: Duration
    private let maximumEntries: Int
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let cache = Mutex(Cache())
    private let allowance: Mutex<FailedAuthenticationAllowance>
    /// The origin of the allowance's times.
    private let started = ContinuousClock.now

    public init(
        keys: APIKeyRepository,
        health: DatabaseHealth,
        cacheTTL: Duration = .seconds(2),
        settings: AuthenticationSettings = AuthenticationSettings(),
        maximumEntries: Int = 10_000,
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.keys = keys
        self.health = health
        self.cacheTTL = cacheTTL
        self.unknownKeyCacheTTL = settings.unknownKeyCacheTTL
        self.maximumEntries = maximumEntries
        self.metrics = metrics
        self.logger = logger
        self.allowance = Mutex(
            FailedAuthenticationAllowance(burst: settings.failureBurst, perMinute: settings.failuresPerMinute)
        )
    }

    public func authenticate(metadata: [String: String], method: String, peer: PeerAddress) async throws -> Principal {
        let now = ContinuousClock.now
        let address = peer.limitKey
        let presented: APIKey
        do {
            presented = try AuthenticationFailure.parseKey(metadata)
        } catch {
            throw self.failed(error, address: address, now: now)
        }
        let lookup: Lookup
        do {
            lookup = try await self.record(for: presented.id, address: address, now: now)
        } catch let failure as AuthenticationFailure {
            self.metrics.authenticationFailed(reason: failure.rpcError.reason)
            throw failure
        }
        // The hash is compared even for unknown ids, so timing says nothing about which ids exist.
        let matches = presented.matches(storedHash: lookup.record?.secretHash ?? Array(repeating: 0, count: 32))
        guard let record = lookup.record, matches, !record.revoked else {
            guard lookup.charged else { throw self.failed(.unknownKey, address: address, now: now) }
            // Counted already, before the lookup.
            self.metrics.authenticationFailed(reason: AuthenticationFailure.unknownKey.rpcError.reason)
            throw AuthenticationFailure.unknownKey
        }
        if lookup.charged { self.allowance.withLock { $0.refund(address, now: now - self.started) } }
        if lookup.refreshed, record.lastUsedAt.map({ Date().timeIntervalSince($0) > 60 }) ?? true {
            await self.markUsed(record.keyID)
        }
        guard let tenantID = record.tenantID else {
            return Principal(keyID: record.keyID, scope: .operator_)
        }
        guard record.tenantStatus == .active, let slug = record.tenantSlug else {
            self.metrics.authenticationFailed(reason: AuthenticationFailure.tenantDisabled.rpcError.reason)
            throw AuthenticationFailure.tenantDisabled
        }
        return Principal(keyID: record.keyID, scope: .tenant(TenantReference(id: tenantID, slug: slug)))
    }

    /// Counts a failed authentication against `address`, and says how to answer it: as itself,
    /// or, past the address's allowance, as rate-limited. Every failure of an address past its
    /// allowance gets that answer, so the answers tell nothing about which key ids exist.
    private func failed(_ failure: AuthenticationFailure, address: String, now: ContinuousClock.Instant)
        -> AuthenticationFailure
    {
        var answer = failure
        if let wait = self.allowance.withLock({ $0.charge(address, now: now - self.started) }) {
            answer = .rateLimited(retryAfter: wait)
        }
        self.metrics.authenticationFailed(reason: answer.rpcError.reason)
        return answer
    }

    /// Forgets every cached key (tests, and after local revocations).
    public func invalidateCache() {
        self.cache.withLock { $0.entries.removeAll() }
    }

    /// The key's record: from the cache, from a lookup of it already under way, or (refreshed)
    /// from the database. Starting a lookup of an id not known to be valid costs `address` a
    /// failure up front (charged; refunded when the key turns out valid), and is refused while
    /// the address has none left.
    private func record(for keyID: String, address: String, now: ContinuousClock.Instant) async throws -> Lookup {
        let (cached, underWay) = self.cache.withLock { ($0.entries[keyID], $0.lookups[keyID]) }
        if let cached {
            let ttl = cached.record == nil ? self.unknownKeyCacheTTL : self.cacheTTL
            if now - cached.fetchedAt < ttl { return Lookup(record: cached.record, refreshed: false, charged: false) }
        }
        if let underWay { return Lookup(record: try await underWay.value, refreshed: false, charged: false) }

        var charged = cached?.record == nil
        if charged, let wait = self.allowance.withLock({ $0.charge(address, now: now - self.started) }) {
            throw AuthenticationFailure.rateLimited(retryAfter: wait)
        }
        let (lookup, isOwn) = self.cache.withLock { cache in
            if let underWay = cache.lookups[keyID] { return (underWay, false) }
            let lookup = Task { try await self.fetch(keyID, now: now) }
            cache.lookups[keyID] = lookup
            return (lookup, true)
        }
        if charged, !isOwn {
            // Another call started the same lookup meanwhile, and was charged for it.
            self.allowance.withLock { $0.refund(address, now: now - self.started) }
            charged = false
        }
        do {
            return Lookup(record: try await lookup.value, refreshed: isOwn, charged: charged)
        } catch {
            if charged { self.allowance.withLock { $0.refund(address, now: now - self.started) } }
            throw error
        }
    }

    /// Reads the key's record from the database into the cache, ending the lookup under way.
    private func fetch(_ keyID: String, now: ContinuousClock.Instant) async throws -> KeyVerificationRecord? {
        let record: KeyVerificationRecord?
        do {
            record = try await self.health.guarding { try await self.keys.verificationRecord(id: keyID) }
        } catch {
            self.cache.withLock { $0.lookups[keyID] = nil }
            throw error
        }
        self.metrics.keyLookedUp(found: record != nil)
        self.cache.withLock { cache in
            if cache.entries.count >= self.maximumEntries {
                // Unknown ids go first, so callers probing random ids cannot push real keys out.
                cache.entries = cache.entries.filter { $0.value.record != nil }
                if cache.entries.count >= self.maximumEntries { cache.entries.removeAll(keepingCapacity: true) }
            }
            cache.entries[keyID] = Entry(record: record, fetchedAt: now)
            cache.lookups[keyID] = nil
        }
        return record
    }

    private func markUsed(_ keyID: String) async {
        do {
            try await self.keys.markUsed(ids: [keyID])
        } catch {
            self.logger.warning("cannot record key use", metadata: ["key_id": "\(keyID)"])
        }
    }
}
