import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore
import NIOPosix
import Synchronization

/// ValidateServer: diagnoses an output server step by step (resolve, connect, TLS,
/// EHLO, token, AUTH, a test message) and reports its backlog and whether any replica
/// delivers mail. The verdict is stored on the server with an event when it fails or
/// recovers. Concurrent validations of one server with the same options share one run.
/// A draft (a definition not stored) is validated the same way but leaves nothing behind
/// except its test message: no verdict, event, token, queue row or lifted block.
public final class ServerValidator: Sendable {
    /// What the caller asked for; validations with equal requests are coalesced.
    public struct Request: Sendable, Hashable {
        public var sendTestMessage: Bool
        /// Empty: the server's sender address.
        public var testRecipient: String

        public init(sendTestMessage: Bool, testRecipient: String) {
            self.sendTestMessage = sendTestMessage
            self.testRecipient = testRecipient
        }
    }

    /// The checks in order, with what the queue and workers looked like.
    public struct Report: Sendable {
        public var checks: [ServerCheck]
        public var testMessageID: UUID?
        public var backlog: ValidationRepository.Backlog
        public var deliveryWorkers: Int
        public var passed: Bool { self.checks.allPassed }

        /// Whether it says something about the server: not when a check could not run for
        /// lack of time or because this replica is stopping (nothing is stored then).
        public var isConclusive: Bool {
            !self.checks.contains {
                $0.reason == KnownCause.notEnoughTime.reason || $0.reason == KnownCause.stopping.reason
            }
        }
    }

    let validations: ValidationRepository
    let queue: DeliveryQueue
    let tokens: TokenService
    /// Lifted when a validation passes: the server was fixed.
    let blocks: ServerBlockRepository?
    let vault: Vault
    let settings: MailerSettings
    let owner: String
    let metrics: ServiceMetrics
    let logger: Logger
    /// Blocking work (resolver, libcurl sessions) runs here, never behind delivery's sends.
    let threads: NIOThreadPool
    private let flights = Mutex(Flights())

    private struct Flight: Hashable {
        let serverID: UUID
        let request: Request
        /// Set for a draft: drafts never share a run (two may differ in anything).
        let draft: UUID?
    }

    private struct Flights {
        var running: [Flight: Task<Result<Report, any Error>, Never>] = [:]
        /// Validations running per tenant: one tenant may not take the whole thread pool.
        var perTenant: [UUID: Int] = [:]
    }

    /// Validations one tenant may run at once on this replica (joining one that runs is
    /// free): the 4 validation threads are shared by every tenant.
    static let maximumPerTenant = 2

    /// A new validation refused: the tenant already runs `maximumPerTenant`.
    public struct TenantBusy: Error {
        public let running: Int
    }

    /// The longest a validation runs, whatever the call's deadline.
    static let longest: Duration = .seconds(90)

    public init(
        validations: ValidationRepository,
        queue: DeliveryQueue,
        tokens: TokenService,
        blocks: ServerBlockRepository? = nil,
        vault: Vault,
        settings: MailerSettings,
        owner: String,
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.validations = validations
        self.queue = queue
        self.tokens = tokens
        self.blocks = blocks
        self.vault = vault
        self.settings = settings
        self.owner = owner
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: 4)
        self.threads.start()
    }

    /// Validates `server` within `deadline` (and at most `longest`); joins a validation of
    /// the same server and request already running, and waits for it until its own
    /// deadline (nil: that one outlasts this caller's deadline).
    /// `admit` runs once per new run, before it starts (the tenant's quota): callers that
    /// join a run already under way, even one still being admitted, pay nothing, and all of
    /// them get its refusal. Throws `TenantBusy` when the tenant runs its maximum already.
    /// `isDraft`: `server` is not stored (`ServerRepository.draft`); it runs on its own
    /// and nothing of it is stored. `tokensOf`: a draft's token comes from this stored server
    /// as its own would (cached, a rotated refresh token stored), not from a trial request.
    /// `progress` is told the checks done so far after each step of a run this call starts
    /// (a caller that joins a run under way gets only its result).
    public func validate(
        _ server: ServerRecord,
        tenant: TenantReference,
        request: Request,
        deadline: ContinuousClock.Instant,
        isDraft: Bool = false,
        tokensOf tokenSource: ServerRecord? = nil,
        progress: (@Sendable ([ServerCheck]) -> Void)? = nil,
        admit: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> Report? {
        let flight = Flight(serverID: server.id, request: request, draft: isDraft ? UUID() : nil)
        let task = try self.flights.withLock { flights throws(TenantBusy) in
            if let running = flights.running[flight] { return running }
            let running = flights.perTenant[tenant.id, default: 0]
            guard running < Self.maximumPerTenant else { throw TenantBusy(running: running) }
            flights.perTenant[tenant.id] = running + 1
            let clock = ValidationClock(deadline: min(deadline, .now + Self.longest))
            let task = Task { () -> Result<Report, any Error> in
                defer {
                    self.flights.withLock { flights in
                        flights.running.removeValue(forKey: flight)
                        flights.perTenant[tenant.id] = max(0, flights.perTenant[tenant.id, default: 1] - 1)
                        if flights.perTenant[tenant.id] == 0 { flights.perTenant.removeValue(forKey: tenant.id) }
                    }
                }
                do {
                    try await admit()
                } catch {
                    return .failure(error)
                }
                let report = await ValidationRun(
                    validator: self,
                    server: server,
                    tenant: tenant,
                    request: request,
                    clock: clock,
                    isDraft: isDraft,
                    tokenSource: tokenSource,
                    progress: progress
                ).run()
                if isDraft {
                    self.metrics.validation(!report.isConclusive ? "inconclusive" : report.passed ? "passed" : "failed")
                    self.logger.info(
                        "server draft validated (nothing stored)",
                        metadata: [
                            "tenant": "\(tenant.slug)", "server": "\(server.definition.name)",
                            "summary": "\(report.checks.summary)",
                        ]
                    )
                    return .success(report)
                }
                // Stored before the answer when the database keeps up; a slow one finishes
                // storing after it rather than making the call miss its deadline.
                let recording = Task { await self.record(report, server: server, tenant: tenant) }
                _ = await withTimeLimit(clock.remaining) { await recording.value }
                return .success(report)
            }
            flights.running[flight] = task
            return task
        }
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return nil }
        return try await withTimeLimit(left) { await task.value }?.get()
    }

    /// Stops the validation threads once their work ends.
    public func shutdown() async throws {
        try await self.threads.shutdownGracefully()
    }

    private func record(_ result: Report, server: ServerRecord, tenant: TenantReference) async {
        let name = server.definition.name
        self.metrics.validation(!result.isConclusive ? "inconclusive" : result.passed ? "passed" : "failed")
        guard result.isConclusive else {
            self.logger.info(
                "server validation not stored: a check could not run",
                metadata: ["tenant": "\(tenant.slug)", "server": "\(name)"]
            )
            return
        }
        let summary = result.checks.summary
        let failure = result.checks.firstFailure
        var details = ["server": name, "summary": summary]
        if let failure {
            details["check"] = failure.name.rawValue
            details["reason"] = failure.reason
            details["detail"] = failure.detail
            details["remedy"] = failure.remedy
        }
        let failed = NewEvent(
            tenantID: tenant.id,
            kind: EventKind.serverValidationFailed,
            severity: .error,
            serverID: server.id,
            message:
                "Validation of server \(name) failed at \(failure?.name.rawValue ?? "?"): \(failure?.detail ?? ""). \(failure?.remedy ?? "")",
            details: details
        )
        let recovered = NewEvent(
            tenantID: tenant.id,
            kind: EventKind.serverValidationRecovered,
            severity: .info,
            serverID: server.id,
            message: "Server \(name) passed validation again.",
            details: details
        )
        do {
            try await self.validations.record(
                tenantID: tenant.id,
                serverID: server.id,
                version: server.version,
                passed: result.passed,
                summary: summary,
                failed: failed,
                recovered: recovered
            )
        } catch {
            self.logger.warning(
                "validation result not stored",
                metadata: ["server": "\(name)", "error": "\(String(reflecting: error))"]
            )
        }
        var metadata: Logger.Metadata = ["tenant": "\(tenant.slug)", "server": "\(name)", "summary": "\(summary)"]
        if let failure { metadata["reason"] = "\(failure.reason)" }
        if result.passed {
            self.logger.info("server validated", metadata: metadata)
            _ = try? await self.blocks?.unblock(
                tenantID: tenant.id,
                serverID: server.id,
                serverName: name,
                why: "a validation passed",
                // Without a test message the sender's rights were not tried.
                keeping: result.testMessageID == nil ? KnownCause.foundOnlyBySending : []
            )
        } else {
            self.logger.warning("server validation failed", metadata: metadata)
        }
    }
}
