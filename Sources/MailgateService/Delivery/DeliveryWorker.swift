import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore
import ServiceLifecycle
import Tracing

/// One delivery loop: claim due messages, send each through its server, write the
/// results back, and sleep until woken or the poll interval passes.
struct DeliveryWorker: Sendable {
    let owner: String
    let queue: DeliveryQueue
    let servers: ServerRepository
    let vault: Vault
    let pool: SMTPDeliveryPool
    let tokens: TokenService
    let settings: MailerSettings
    let wakeUp: DeliveryWakeUp
    let held: HeldClaims
    let events: EventRepository
    let blocks: ServerBlockRepository
    let metrics: ServiceMetrics
    /// Opens when the service begins to stop.
    let stopping: Latch
    let logger: Logger

    /// How long a claim or a hand-back still under way when the service stops may take:
    /// abandoning either costs only a wait (the lease runs out), while waiting for a
    /// database that went away would hold the stop up for a whole lease.
    static let stopGrace: Duration = .seconds(5)

    /// Results are written when this many are waiting, when the oldest has waited
    /// `flushAfter`, or after any attempt slower than `flushAfter` (the next may be as
    /// slow): a delivered message whose result is not committed is sent again if the
    /// replica dies, so the window stays short while fast servers still get batches.
    static let flushEvery = 16
    static let flushAfter: Duration = .milliseconds(50)

    func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let batch: [ClaimedMessage]
            let token = UUID()
            // The lease runs from the claim's start in the database, which is no earlier than this.
            self.held.hold(token, until: ContinuousClock.now + self.settings.lease)
            do {
                // A claim that hangs (a connection the pool cannot replace) must not stop this
                // worker for good: after the lease it is given up, and should it commit after
                // all, its lease runs out and the messages are taken over.
                let (queue, owner, settings) = (self.queue, self.owner, self.settings)
                batch = try await withTimeLimit(settings.lease, stopping: self.stopping, grace: Self.stopGrace) {
                    try await queue.claim(owner: owner, token: token, limit: settings.claimBatch, lease: settings.lease)
                }
            } catch {
                // The claim may have committed without our hearing so: its lease then runs out.
                self.held.drop(token)
                self.logger.warning("claiming messages failed", metadata: ["error": "\(String(reflecting: error))"])
                await self.wakeUp.wait(timeout: .seconds(1))
                continue
            }
            if batch.isEmpty {
                self.held.drop(token)
                await self.wakeUp.wait(timeout: self.settings.pollInterval)
                continue
            }
            await self.deliver(batch, token: token)
            self.held.drop(token)
        }
    }

    private func deliver(_ batch: [ClaimedMessage], token: UUID) async {
        var servers: [UUID: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>] = [:]
        var results: [AttemptResult] = []
        var oldestResult: ContinuousClock.Instant?
        var unattempted: [UUID] = []
        // Servers that asked to slow down during this batch: the rest of their mail goes back
        // to the queue untouched, where the pause keeps every replica from claiming it.
        var paused = Set<UUID>()
        // Results are written while the claim surely holds (its lease as last renewed), and
        // once they cannot be, the claim may be another replica's, so nothing more of the
        // batch is sent.
        var claimLost = false
        for message in batch {
            // A send must end while the claim surely holds: once renewals fail (the database
            // is gone), the rest of the batch is left to whoever takes it over.
            if let heldUntil = self.held.heldUntil(token), heldUntil < .now + self.sendMargin { claimLost = true }
            if claimLost || Task.isCancelled || Task.isShuttingDownGracefully || paused.contains(message.serverID) {
                unattempted.append(message.id)
                continue
            }
            let server: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>
            if let known = servers[message.serverID] {
                server = known
            } else {
                server = await self.resolve(message)
                servers[message.serverID] = server
            }
            let started = ContinuousClock.now
            let attempt = await self.attempt(message, server: server, token: token)
            if let replaced = attempt.replacedServer { servers[message.serverID] = replaced }
            results.append(attempt.result)
            if attempt.pausedServer { paused.insert(message.serverID) }
            let finished = ContinuousClock.now
            let oldest = oldestResult ?? started
            oldestResult = oldest
            if results.count >= Self.flushEvery || finished - oldest >= Self.flushAfter {
                claimLost = !(await self.write(results, token: token))
                results.removeAll()
                oldestResult = nil
            }
        }
        _ = await self.write(results, token: token)
        if !unattempted.isEmpty {
            do {
                let (queue, ids) = (self.queue, unattempted)
                try await withTimeLimit(self.settings.lease, stopping: self.stopping, grace: Self.stopGrace) {
                    try await queue.release(token: token, ids: ids)
                }
            } catch {
                self.logger.warning(
                    "releasing messages failed; their lease will expire",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
            }
        }
    }

    /// How long before its claim may lapse a worker stops starting sends: a send's time
    /// limit, or a third of the lease (renewals come every third) when that is shorter.
    private var sendMargin: Duration { min(self.settings.smtpTimeout, self.settings.lease / 3) }

    private func resolve(_ message: ClaimedMessage) async -> Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable> {
        let server: ServerRecord
        do {
            guard
                let found = try await self.servers.find(
                    tenantID: message.tenantID,
                    idOrName: message.serverID.uuidString
                )
            else {
                return .failure(EndpointUnavailable(reason: "its output server was deleted", retryable: false))
            }
            server = found
        } catch {
            return .failure(
                EndpointUnavailable(
                    reason: "the output server could not be read: the database is unavailable",
                    retryable: true
                )
            )
        }
        return await self.endpoint(for: server, freshness: .cachedIfValid)
    }

    /// The server's endpoint, with an access token from the token service for OAuth servers.
    private func endpoint(for server: ServerRecord, freshness: TokenService.Freshness) async -> Result<
        (ServerRecord, SMTPEndpoint), EndpointUnavailable
    > {
        var accessToken: Secret?
        if server.definition.authType == .oauth2 {
            do {
                switch try await self.tokens.token(for: server, freshness: freshness) {
                case .success(let token):
                    accessToken = token.value
                case .failure(let failure):
                    return .failure(
                        EndpointUnavailable(
                            reason: "no OAuth access token (\(failure.reason.rawValue)): \(failure.detail)",
                            retryable: true,
                            retryAt: failure.retryAt,
                            stage: "token",
                            waitsForOperator: true
                        )
                    )
                }
            } catch {
                return .failure(
                    EndpointUnavailable(
                        reason: "the OAuth token could not be read: the database is unavailable",
                        retryable: true
                    )
                )
            }
        }
        do {
            let endpoint = try server.smtpEndpoint(
                vault: self.vault,
                accessToken: accessToken,
                caFile: self.settings.caFile,
                destinations: self.settings.destinations,
                timeout: self.settings.smtpTimeout
            )
            return .success((server, endpoint))
        } catch {
            return .failure(error)
        }
    }

    /// What one message's attempt did, for the rest of its batch.
    private struct Attempt {
        var result: AttemptResult
        /// The server asked to be left alone: the batch's other mail for it goes back untouched.
        var pausedServer = false
        /// What the rest of the batch uses for this server once the SMTP server refused its
        /// access token: a new token, or why there is none.
        var replacedServer: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>? = nil
    }

    private func attempt(
        _ message: ClaimedMessage,
        server: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>,
        token: UUID
    ) async -> Attempt {
        let startedAt = Date()
        switch server {
        case .failure(let problem):
            self.metrics.deliveryAttempt(nil)
            let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .retry, now: startedAt)
            return Attempt(result: decision.notAttempted(message, problem))
        case .success(let (record, endpoint)):
            if record.definition.uncertainPolicy == .fail {
                // Without this mark a crash could not tell a message that reached the server from one
                // that never left: recovery fails only marked ones and queues the rest again.
                do {
                    try await self.queue.markStarted(token: token, id: message.id)
                } catch {
                    let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .fail, now: Date())
                    return Attempt(
                        result: decision.notAttempted(
                            message,
                            EndpointUnavailable(reason: "the database is unavailable", retryable: true)
                        )
                    )
                }
            }
            var smtp = await self.send(message, through: endpoint)
            var replaced: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>?
            if case .xoauth2(_, let rejected) = endpoint.authentication, smtp?.isAuthenticationRefusal == true {
                // A token the cache thought good was refused: get another (one request across
                // all workers that saw the refusal) and try once more.
                let fresh = await self.endpoint(for: record, freshness: .replacing(rejected))
                replaced = fresh
                switch fresh {
                case .success(let (_, freshEndpoint)):
                    smtp = await self.send(message, through: freshEndpoint)
                case .failure(let problem):
                    let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .retry, now: Date())
                    return Attempt(result: decision.notAttempted(message, problem), replacedServer: replaced)
                }
                if let refused = smtp, refused.isAuthenticationRefusal {
                    return Attempt(
                        result: await self.tokenRefused(message, server: record, reply: refused),
                        pausedServer: true,
                        replacedServer: replaced
                    )
                }
            }
            guard let smtp else {
                let decision = DeliveryDecision(
                    retry: self.settings.retry,
                    uncertainPolicy: record.definition.uncertainPolicy,
                    now: Date()
                )
                return Attempt(
                    result: decision.notAttempted(
                        message,
                        EndpointUnavailable(reason: "the SMTP thread pool is stopping", retryable: true)
                    ),
                    replacedServer: replaced
                )
            }
            let decision = DeliveryDecision(
                retry: self.settings.retry,
                uncertainPolicy: record.definition.uncertainPolicy,
                now: Date(),
                throttlePause: self.settings.throttlePause,
                quotaPause: self.settings.quotaPause,
                blockWait: self.settings.blockInitialWait
            )
            let verdict = decision.decide(
                smtp,
                message: message,
                startedAt: startedAt,
                authType: record.definition.authType ?? .none
            )
            self.log(verdict.attempt, message: message, server: record)
            if let pause = verdict.pause {
                await self.pauseServer(record, for: pause.duration, reason: pause.reason)
            }
            if let fault = verdict.block {
                await self.block(record, fault, probe: message.probesBlockedServer)
            } else if message.probesBlockedServer, verdict.pause == nil {
                // The probe got through to the server: whatever became of this message, the
                // server itself works again.
                await self.unblock(record, why: "a delivery attempt reached it")
            }
            return Attempt(
                result: verdict.attempt,
                pausedServer: verdict.pause != nil || verdict.block != nil,
                replacedServer: replaced
            )
        }
    }

    /// One SMTP transaction; nil when the thread pool is stopping.
    private func send(_ message: ClaimedMessage, through endpoint: SMTPEndpoint) async -> SMTPResult? {
        await withSpan("smtp.send", ofKind: .client) { span in
            span.attributes["mailgate.message_id"] = message.id.uuidString.lowercased()
            span.attributes["mailgate.attempt"] = message.attempt
            span.attributes["server.address"] = endpoint.host
            span.attributes["server.port"] = endpoint.port
            let result = try? await self.pool.send(
                message: message.body,
                from: message.envelopeFrom,
                to: message.recipients,
                through: endpoint
            )
            if let result {
                self.metrics.deliveryAttempt(result)
                span.attributes["smtp.outcome"] = "\(result.outcome)"
                span.attributes["smtp.reply_code"] = result.replyCode
                if result.outcome != .delivered { span.setStatus(SpanStatus(code: .error)) }
            }
            return result
        }
    }

    /// A fresh token refused too: an operator must act (SMTP AUTH disabled, permission
    /// not granted). The message waits, the server pauses, and an event says why.
    private func tokenRefused(_ message: ClaimedMessage, server: ServerRecord, reply: SMTPResult) async -> AttemptResult
    {
        let said = DeliveryDecision.describe(reply)
        let reason = "the SMTP server refused a freshly issued OAuth token: \(said)"
        let pause = self.settings.tokenRejectionPause
        let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .retry, now: Date())
        let result = decision.notAttempted(
            message,
            EndpointUnavailable(
                reason: reason,
                retryable: true,
                retryAt: Date().addingTimeInterval(pause.seconds),
                stage: "auth",
                waitsForOperator: true
            )
        )
        self.logger.warning(
            "XOAUTH2 refused with a fresh token; the server's mail waits",
            metadata: [
                "server": "\(server.definition.name)", "reply": "\(said)", "pause_seconds": "\(Int(pause.seconds))",
            ]
        )
        do {
            try await self.queue.throttle(
                tenantID: server.tenantID,
                serverID: server.id,
                serverName: server.definition.name,
                for: pause,
                reason: reason
            )
            try await self.events.append(
                NewEvent(
                    tenantID: server.tenantID,
                    kind: EventKind.oauthTokenRejected,
                    severity: .error,
                    serverID: server.id,
                    message:
                        "Server \(server.definition.name) refused a fresh OAuth token (\(said)); its mail waits. Check that SMTP AUTH is enabled for the mailbox and that the app may send as it (Exchange: SMTP.SendAsApp and a mailbox permission for the service principal).",
                    details: ["server": server.definition.name, "reply": said, "reply_code": String(reply.replyCode)]
                )
            )
        } catch {
            self.logger.warning(
                "recording the token refusal failed",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        return result
    }

    private func pauseServer(_ server: ServerRecord, for duration: Duration, reason: String) async {
        self.logger.warning(
            "server asked us to slow down; its mail waits",
            metadata: [
                "server": "\(server.definition.name)", "pause_seconds": "\(Int(duration.seconds))",
                "reason": "\(reason)",
            ]
        )
        do {
            try await self.queue.throttle(
                tenantID: server.tenantID,
                serverID: server.id,
                serverName: server.definition.name,
                for: duration,
                reason: reason
            )
        } catch {
            self.logger.warning(
                "recording the server pause failed",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
    }

    /// The server is at fault: every replica leaves its mail waiting until a probe or a fix.
    private func block(_ server: ServerRecord, _ fault: ServerFault, probe: Bool) async {
        do {
            let block = try await self.blocks.block(
                tenantID: server.tenantID,
                serverID: server.id,
                serverName: server.definition.name,
                cause: fault.cause,
                detail: fault.detail,
                probe: probe,
                initialWait: self.settings.blockInitialWait,
                maximumWait: self.settings.blockMaximumWait
            )
            self.logger.warning(
                "server cannot take mail; its mail waits",
                metadata: [
                    "server": "\(server.definition.name)", "reason": "\(fault.cause.reason)",
                    "detail": "\(fault.detail)", "failures": "\(block.failures)",
                    "next_probe_seconds": "\(Int(block.retryAt.timeIntervalSinceNow.rounded()))",
                ]
            )
        } catch {
            // The message's own retry still holds it back; the block is an optimisation of that.
            self.logger.warning(
                "recording the server block failed",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
    }

    private func unblock(_ server: ServerRecord, why: String) async {
        do {
            if try await self.blocks.unblock(
                tenantID: server.tenantID,
                serverID: server.id,
                serverName: server.definition.name,
                why: why
            ) {
                self.logger.notice("server takes mail again", metadata: ["server": "\(server.definition.name)"])
                self.wakeUp.ring()
            }
        } catch {
            self.logger.warning("lifting the server block failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func log(_ result: AttemptResult, message: ClaimedMessage, server: ServerRecord) {
        var metadata: Logger.Metadata = [
            "message_id": "\(message.id.uuidString.lowercased())", "server": "\(server.definition.name)",
            "attempt": "\(message.attempt)", "outcome": "\(result.outcome)", "reply_code": "\(result.replyCode)",
            "duration_ms": "\(result.durationMilliseconds)",
        ]
        switch result.decision {
        case .sent:
            self.logger.debug("message delivered", metadata: metadata)
        case .retry(let at, _):
            metadata["next_attempt_at"] = "\(at)"
            metadata["reply"] = "\(result.reply)"
            self.logger.info("delivery deferred", metadata: metadata)
        case .failed(let reason):
            metadata["reason"] = "\(reason)"
            self.logger.warning("message failed", metadata: metadata)
        }
    }

    /// Writes `results` under the claim `token`, retrying (a database restart, a blip) while
    /// the claim surely holds (renewals stretch it; once they fail it may lapse). Returns whether the claim still holds:
    /// false when the results could not be written in time or another worker took some of
    /// the messages over, and then the rest of the batch must not be sent. Results given
    /// up are not lost: the lease runs out and the messages are delivered again, marked
    /// uncertain.
    private func write(_ results: [AttemptResult], token: UUID) async -> Bool {
        guard !results.isEmpty else { return true }
        // A write that keeps failing while renewals succeed (an error of the write itself) is
        // given up after a lease, too: the messages are then taken over like any others.
        let givenUpAt = ContinuousClock.now + self.settings.lease
        var attempt = 0
        while true {
            attempt += 1
            let deadline = min(self.held.heldUntil(token) ?? .now, givenUpAt)
            do {
                // A write that hangs (a connection the pool cannot replace) must not hold the
                // worker past the claim: it is given up like one that failed.
                let (queue, owner) = (self.queue, self.owner)
                let written = try await withTimeLimit(max(deadline - ContinuousClock.now, .milliseconds(1))) {
                    try await queue.complete(owner: owner, token: token, results: results)
                }
                guard written.count == results.count else {
                    self.logger.warning(
                        "results dropped: the claim had expired and another worker took the messages over",
                        metadata: ["dropped": "\(results.count - written.count)"]
                    )
                    return false
                }
                return true
            } catch {
                let pause = Duration.milliseconds(min(250 << min(attempt, 5), 5000))
                // Cancelled (a stop that outlasted its grace): the lease hands the messages on.
                guard !Task.isCancelled, ContinuousClock.now + pause < deadline else {
                    self.logger.error(
                        "recording delivery results failed until the claim may have lapsed; the rest of the batch is not sent",
                        metadata: [
                            "error": "\(String(reflecting: error))", "attempts": "\(attempt)",
                            "messages": "\(results.count)",
                        ]
                    )
                    self.held.drop(token)
                    return false
                }
                self.logger.warning(
                    "recording delivery results failed; retrying",
                    metadata: [
                        "error": "\(String(reflecting: error))", "attempt": "\(attempt)",
                        "messages": "\(results.count)",
                    ]
                )
                try? await Task.sleep(for: pause)
            }
        }
    }
}
