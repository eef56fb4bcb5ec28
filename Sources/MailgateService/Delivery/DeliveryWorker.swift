import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore
import ServiceLifecycle

/// One delivery loop: claim due messages, send each through its server, write the
/// results back, and sleep until woken or the poll interval passes.
struct DeliveryWorker: Sendable {
    let owner: String
    let queue: DeliveryQueue
    let servers: ServerRepository
    let vault: Vault
    let pool: SMTPDeliveryPool
    let settings: MailerSettings
    let wakeUp: DeliveryWakeUp
    let held: HeldClaims
    let logger: Logger

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
            self.held.hold(token)
            do {
                batch = try await self.queue.claim(owner: self.owner, token: token, limit: self.settings.claimBatch, lease: self.settings.lease)
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
        for message in batch {
            if Task.isCancelled || Task.isShuttingDownGracefully || paused.contains(message.serverID) {
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
            let (result, pausedServer) = await self.attempt(message, server: server, token: token)
            results.append(result)
            if pausedServer { paused.insert(message.serverID) }
            let finished = ContinuousClock.now
            let oldest = oldestResult ?? started
            oldestResult = oldest
            if results.count >= Self.flushEvery || finished - oldest >= Self.flushAfter {
                await self.write(results, token: token)
                results.removeAll()
                oldestResult = nil
            }
        }
        await self.write(results, token: token)
        if !unattempted.isEmpty {
            do {
                try await self.queue.release(token: token, ids: unattempted)
            } catch {
                self.logger.warning("releasing messages failed; their lease will expire", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private func resolve(_ message: ClaimedMessage) async -> Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable> {
        do {
            guard let server = try await self.servers.find(tenantID: message.tenantID, idOrName: message.serverID.uuidString) else {
                return .failure(EndpointUnavailable(reason: "its output server was deleted", retryable: false))
            }
            let endpoint = try server.smtpEndpoint(vault: self.vault, caFile: self.settings.caFile, timeout: self.settings.smtpTimeout)
            return .success((server, endpoint))
        } catch let error as EndpointUnavailable {
            return .failure(error)
        } catch {
            return .failure(EndpointUnavailable(reason: "the output server could not be read: the database is unavailable", retryable: true))
        }
    }

    /// The attempt's result, and whether the server asked for a pause.
    private func attempt(
        _ message: ClaimedMessage,
        server: Result<(ServerRecord, SMTPEndpoint), EndpointUnavailable>,
        token: UUID
    ) async -> (AttemptResult, Bool) {
        let startedAt = Date()
        switch server {
        case .failure(let problem):
            let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .retry, now: startedAt)
            return (decision.notAttempted(message, reason: problem.reason, retryable: problem.retryable), false)
        case .success(let (record, endpoint)):
            if record.definition.uncertainPolicy == .fail {
                // Without this mark a crash could not tell a message that reached the server from one
                // that never left: recovery fails only marked ones and queues the rest again.
                do {
                    try await self.queue.markStarted(token: token, id: message.id)
                } catch {
                    let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: .fail, now: Date())
                    return (decision.notAttempted(message, reason: "the database is unavailable", retryable: true), false)
                }
            }
            let smtp: SMTPResult
            do {
                smtp = try await self.pool.send(message: message.body, from: message.envelopeFrom, to: message.recipients, through: endpoint)
            } catch {
                let decision = DeliveryDecision(retry: self.settings.retry, uncertainPolicy: record.definition.uncertainPolicy, now: Date())
                return (decision.notAttempted(message, reason: "the SMTP thread pool is stopping", retryable: true), false)
            }
            let decision = DeliveryDecision(
                retry: self.settings.retry,
                uncertainPolicy: record.definition.uncertainPolicy,
                now: Date(),
                throttlePause: self.settings.throttlePause,
                quotaPause: self.settings.quotaPause
            )
            let (result, pause) = decision.decide(smtp, message: message, startedAt: startedAt)
            self.log(result, message: message, server: record)
            if let (duration, reason) = pause {
                await self.pauseServer(record, for: duration, reason: reason)
            }
            return (result, pause != nil)
        }
    }

    private func pauseServer(_ server: ServerRecord, for duration: Duration, reason: String) async {
        self.logger.warning(
            "server asked us to slow down; its mail waits",
            metadata: ["server": "\(server.definition.name)", "pause_seconds": "\(Int(duration.seconds))", "reason": "\(reason)"]
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
            self.logger.warning("recording the server pause failed", metadata: ["error": "\(String(reflecting: error))"])
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

    /// Writes results, retrying while the database is briefly away (the claim's lease is
    /// renewed meanwhile). Results that still cannot be written are given up: the claim
    /// is dropped, its lease runs out, and the messages are delivered again.
    private func write(_ results: [AttemptResult], token: UUID) async {
        guard !results.isEmpty else { return }
        for attempt in 1...8 {
            do {
                let written = try await self.queue.complete(owner: self.owner, token: token, results: results)
                if written.count < results.count {
                    self.logger.warning(
                        "results dropped: the claim had expired and another worker took the messages over",
                        metadata: ["dropped": "\(results.count - written.count)"]
                    )
                }
                return
            } catch {
                self.logger.warning(
                    "recording delivery results failed",
                    metadata: ["error": "\(String(reflecting: error))", "attempt": "\(attempt)", "messages": "\(results.count)"]
                )
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
        self.held.drop(token)
    }
}
