import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import Synchronization

/// Admits calls within their tenant's quotas: for SendMail how far ahead `not_before`
/// may be, how much mail the tenant may have queued and how many calls a minute across
/// replicas; for ValidateServer and RefreshToken how many calls a minute.
///
/// Nothing here costs a query per SendMail. A tenant's quotas are read at most every
/// 2 s; what it has queued at most once a second (calls in between add what this replica
/// admitted since); a minute's allowance is taken from the database in slices of a
/// twentieth, shared by every replica.
public final class TenantQuotaGate: Sendable {
    let tenants: TenantRepository
    let usage: TenantUsageRepository
    /// The quotas of a tenant without its own.
    let defaults: TenantQuotas
    let metrics: ServiceMetrics
    private let state = Mutex<[UUID: TenantState]>([:])

    static let quotasFreshFor: Duration = .seconds(2)
    static let queuedFreshFor: Duration = .seconds(1)
    /// How long waiting helps when the queue is full: mail drains in the meantime.
    static let queuedRetryAfter: Duration = .seconds(5)

    init(tenants: TenantRepository, usage: TenantUsageRepository, defaults: TenantQuotas, metrics: ServiceMetrics) {
        self.tenants = tenants
        self.usage = usage
        self.defaults = defaults
        self.metrics = metrics
    }

    private struct TenantState {
        var quotas: (read: Task<TenantQuotas, any Error>, at: ContinuousClock.Instant)?
        var queued: (read: Task<Queued, any Error>, at: ContinuousClock.Instant)?
        /// Admitted by this replica since `queued` was read.
        var admitted = Queued(messages: 0, bytes: 0)
        var allowances: [TenantUsageRepository.RateKind: Allowance] = [:]
    }

    /// This replica's slice of a minute's allowance of one kind of call.
    private struct Allowance {
        var left = 0
        var validUntil: ContinuousClock.Instant?
        /// The minute's allowance is used up until then.
        var refusedUntil: ContinuousClock.Instant?
        var taking: Task<Void, any Error>?
    }

    struct Queued: Sendable {
        var messages: Int
        var bytes: Int
    }

    /// Admits one message of `bytes` scheduled at `notBefore`, or throws
    /// RESOURCE_EXHAUSTED `TENANT_QUOTA_EXCEEDED` naming the quota.
    func admit(_ tenant: TenantReference, bytes: Int, notBefore: Date?, now: Date) async throws {
        let quotas = try await self.quotas(of: tenant.id)
        if let ahead = quotas.scheduleAheadSeconds, ahead > 0, let notBefore,
            notBefore.timeIntervalSince(now) > Double(ahead)
        {
            throw self.refusal(
                tenant,
                .scheduleAheadSeconds,
                "not_before may be at most \(Self.describe(seconds: ahead)) ahead for tenant \(tenant.slug)."
            )
        }
        let messageLimit = quotas.queuedMessages ?? 0
        let byteLimit = quotas.queuedBytes ?? 0
        if messageLimit > 0 || byteLimit > 0 {
            let queued = try await self.queued(tenant)
            if messageLimit > 0, queued.messages + 1 > messageLimit {
                throw self.refusal(
                    tenant,
                    .queuedMessages,
                    "Tenant \(tenant.slug) has \(queued.messages) messages queued, its quota; retry once some are delivered.",
                    retryAfter: Self.queuedRetryAfter
                )
            }
            if byteLimit > 0, queued.bytes + bytes > byteLimit {
                throw self.refusal(
                    tenant,
                    .queuedBytes,
                    "Tenant \(tenant.slug) has \(queued.bytes) bytes of mail queued; with this message's \(bytes) that is over its quota of \(byteLimit).",
                    retryAfter: Self.queuedRetryAfter
                )
            }
        }
        if let perMinute = quotas.sendsPerMinute, perMinute > 0,
            let wait = try await self.take(.sendMail, tenant.id, perMinute: perMinute)
        {
            throw self.refusal(
                tenant,
                .sendsPerMinute,
                "Tenant \(tenant.slug) may send \(perMinute) messages a minute; this minute's are used up.",
                retryAfter: wait
            )
        }
        self.state.withLock { states in
            states[tenant.id, default: TenantState()].admitted.messages += 1
            states[tenant.id, default: TenantState()].admitted.bytes += bytes
        }
    }

    /// Admits one ValidateServer call of the tenant within its calls a minute.
    func admitValidation(_ tenant: TenantReference) async throws {
        let quotas = try await self.quotas(of: tenant.id)
        if let perMinute = quotas.validationsPerMinute, perMinute > 0,
            let wait = try await self.take(.validateServer, tenant.id, perMinute: perMinute)
        {
            throw self.refusal(
                tenant,
                .validationsPerMinute,
                "Tenant \(tenant.slug) may validate servers \(perMinute) times a minute; this minute's are used up.",
                retryAfter: wait
            )
        }
    }

    /// Admits one RefreshToken call of the tenant within its calls a minute: each asks the
    /// identity provider, past the token service's own backoff.
    func admitTokenRefresh(_ tenant: TenantReference) async throws {
        let quotas = try await self.quotas(of: tenant.id)
        if let perMinute = quotas.tokenRefreshesPerMinute, perMinute > 0,
            let wait = try await self.take(.refreshToken, tenant.id, perMinute: perMinute)
        {
            throw self.refusal(
                tenant,
                .tokenRefreshesPerMinute,
                "Tenant \(tenant.slug) may force token refreshes \(perMinute) times a minute; this minute's are used up.",
                retryAfter: wait
            )
        }
    }

    /// Forgets what this replica read of the tenant's quotas (they were just changed here);
    /// other replicas see the change within 2 s.
    func forgetQuotas(of tenantID: UUID) {
        self.state.withLock { states in states[tenantID]?.quotas = nil }
    }

    /// The tenant's quotas in force, its own over the defaults (read at most every 2 s).
    func quotas(of tenantID: UUID) async throws -> TenantQuotas {
        let now = ContinuousClock.now
        let read = self.state.withLock { states in
            if let cached = states[tenantID]?.quotas, now - cached.at < Self.quotasFreshFor { return cached.read }
            let read = Task { [tenants, defaults] in
                guard let tenant = try await tenants.find(idOrSlug: tenantID.uuidString) else {
                    throw RPCError(code: .notFound, message: "No such tenant.")
                }
                return tenant.quotas.over(defaults)
            }
            states[tenantID, default: TenantState()].quotas = (read, now)
            return read
        }
        do {
            return try await read.value
        } catch {
            self.state.withLock { states in
                if states[tenantID]?.quotas?.read == read { states[tenantID]?.quotas = nil }
            }
            throw error
        }
    }

    /// What the tenant has queued: the last count (at most a second old) plus what this
    /// replica admitted since.
    private func queued(_ tenant: TenantReference) async throws -> Queued {
        let now = ContinuousClock.now
        let (read, admitted) = self.state.withLock { states in
            var state = states[tenant.id, default: TenantState()]
            defer { states[tenant.id] = state }
            if let cached = state.queued, now - cached.at < Self.queuedFreshFor { return (cached.read, state.admitted) }
            let read = Task { [usage, metrics] in
                let (messages, bytes) = try await usage.queued(tenantID: tenant.id)
                metrics.tenantQueued(tenant: tenant.slug, messages: messages, bytes: bytes)
                return Queued(messages: messages, bytes: bytes)
            }
            state.queued = (read, now)
            state.admitted = Queued(messages: 0, bytes: 0)
            return (read, state.admitted)
        }
        do {
            let counted = try await read.value
            return Queued(messages: counted.messages + admitted.messages, bytes: counted.bytes + admitted.bytes)
        } catch {
            self.state.withLock { states in
                if states[tenant.id]?.queued?.read == read { states[tenant.id]?.queued = nil }
            }
            throw error
        }
    }

    /// Takes one call of `kind` from the minute's allowance: nil when admitted, else how
    /// long until the next minute's allowance.
    private func take(
        _ kind: TenantUsageRepository.RateKind,
        _ tenantID: UUID,
        perMinute: Int
    ) async throws -> Duration? {
        enum Step {
            case admitted
            case refused(Duration)
            case wait(Task<Void, any Error>)
        }
        while true {
            let now = ContinuousClock.now
            let step = self.state.withLock { states -> Step in
                var allowance = states[tenantID, default: TenantState()].allowances[kind] ?? Allowance()
                defer { states[tenantID, default: TenantState()].allowances[kind] = allowance }
                if allowance.left > 0, let validUntil = allowance.validUntil, now < validUntil {
                    allowance.left -= 1
                    return .admitted
                }
                if let refusedUntil = allowance.refusedUntil, now < refusedUntil { return .refused(refusedUntil - now) }
                if let taking = allowance.taking { return .wait(taking) }
                let taking = Task { [usage] in
                    do {
                        let granted = try await usage.take(
                            kind,
                            tenantID: tenantID,
                            slice: max(1, perMinute / 20),
                            perMinute: perMinute
                        )
                        let until = ContinuousClock.now + granted.validFor
                        self.state.withLock { states in
                            states[tenantID]?.allowances[kind] = Allowance(
                                left: granted.granted,
                                validUntil: until,
                                refusedUntil: granted.granted == 0 ? until : nil,
                                taking: nil
                            )
                        }
                    } catch {
                        self.state.withLock { states in states[tenantID]?.allowances[kind]?.taking = nil }
                        throw error
                    }
                }
                allowance.taking = taking
                return .wait(taking)
            }
            switch step {
            case .admitted: return nil
            case .refused(let wait): return max(wait, .milliseconds(1))
            case .wait(let taking): try await taking.value
            }
        }
    }

    /// What the tenant uses of its quotas now, read fresh (GetTenant).
    func usage(of tenantID: UUID) async throws -> Mailgate_V1_TenantUsage {
        let (messages, bytes) = try await self.usage.queued(tenantID: tenantID)
        var usage = Mailgate_V1_TenantUsage()
        usage.queuedMessages = UInt64(messages)
        usage.queuedBytes = UInt64(bytes)
        usage.sendsThisMinute = UInt32(clamping: try await self.usage.thisMinute(.sendMail, tenantID: tenantID))
        usage.validationsThisMinute = UInt32(
            clamping: try await self.usage.thisMinute(.validateServer, tenantID: tenantID)
        )
        usage.tokenRefreshesThisMinute = UInt32(
            clamping: try await self.usage.thisMinute(.refreshToken, tenantID: tenantID)
        )
        return usage
    }

    private func refusal(
        _ tenant: TenantReference,
        _ quota: TenantQuotas.Name,
        _ message: String,
        retryAfter: Duration? = nil
    ) -> RPCError {
        self.metrics.quotaRefusal(tenant: tenant.slug, quota: quota)
        return RPCError(
            code: .resourceExhausted,
            message: message,
            reason: "TENANT_QUOTA_EXCEEDED",
            fieldViolations: [.init(field: "quotas.\(quota.rawValue)", description: message)],
            retryAfterMilliseconds: retryAfter.map(Self.milliseconds) ?? 0
        )
    }

    static func milliseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    static func describe(seconds: Int) -> String {
        seconds % 86400 == 0 ? "\(seconds / 86400) days" : "\(seconds) seconds"
    }
}
