import Foundation
import MailgateCore
import MailgateMail
import MailgateStore

/// What one attempt comes to: the result to record, when the server asked everyone to
/// slow down how long the whole server waits, and when the server itself is at fault the
/// cause it is blocked for.
struct DeliveryVerdict: Hashable {
    var attempt: AttemptResult
    var pause: ServerPause?
    var block: ServerFault? = nil
}

/// A fault of the server or its configuration: the server is blocked, its mail waits.
struct ServerFault: Hashable {
    var cause: KnownCause
    /// The server's words, or the connection's.
    var detail: String
}

/// A server left alone by every replica for `duration`, for `reason` (its own words).
struct ServerPause: Hashable {
    var duration: Duration
    var reason: String
}

/// Turns what the SMTP server said into what happens to the message: sent, tried
/// again later (backoff, throttling, 4xx recipients), or failed for good.
struct DeliveryDecision {
    let retry: RetryPolicy
    let uncertainPolicy: UncertainPolicy
    let now: Date
    /// How long a server that throttles us is left alone.
    var throttlePause: Duration = .seconds(60)
    /// How long a server whose quota is used up is left alone.
    var quotaPause: Duration = .seconds(3600)
    /// How long a message of a blocked server waits at least (the block's first wait): a
    /// block that could not be recorded still keeps it from being retried at once, and a
    /// lifted block makes it due again at once.
    var blockWait: Duration = .seconds(30)
    /// 0...1; picks the jitter (tests fix it).
    var jitterUnit: Double = Double.random(in: 0...1)

    /// What to record, and whether the whole server should wait.
    func decide(
        _ result: SMTPResult,
        message: ClaimedMessage,
        startedAt: Date,
        authType: AuthenticationType = .none
    ) -> DeliveryVerdict {
        var decision: AttemptResult.Decision
        var pause: ServerPause?
        var block: ServerFault?
        var uncertain = false
        var note = ""
        var recipientResults: [String: RecipientResult] = [:]
        for (address, reply) in result.rejectedRecipients {
            recipientResults[address] = RecipientResult(code: Self.code(of: reply), reply: reply)
        }
        // Only a refusal needs reading closely; most results are deliveries.
        let classification =
            result.outcome == .delivered ? .ordinary : ReplyClassification(code: result.replyCode, text: result.reply)

        switch result.outcome {
        case .delivered:
            for address in message.recipients where recipientResults[address] == nil {
                recipientResults[address] = RecipientResult(code: result.replyCode, reply: result.reply)
            }
            let deferred = message.recipients.filter { (400..<500).contains(recipientResults[$0]?.code ?? 250) }
            if !deferred.isEmpty, let next = self.nextAttempt(message) {
                decision = .retry(at: next, recipients: deferred)
            } else {
                decision = .sent
                if !deferred.isEmpty {
                    note = "not delivered to \(deferred.joined(separator: ", ")): retries exhausted"
                }
            }
        case .transientFailure where classification == .ordinary,
            .permanentFailure where classification == .ordinary:
            switch result.fault(authType: authType) ?? .transient {
            case .server(let cause):
                // The operator's to fix: the message waits (the block keeps every replica
                // away until a probe or a fix), and fails only when its retry window ends.
                let detail = Self.describe(result)
                block = ServerFault(cause: cause, detail: detail)
                decision =
                    self.now.timeIntervalSince(message.queuedAt) < self.retry.giveUpAfter.seconds
                    ? .retry(at: self.now.addingTimeInterval(self.blockWait.seconds), recipients: message.recipients)
                    : .failed(
                        reason:
                            "the server could not take mail for \(Self.span(self.retry.giveUpAfter)) after it was queued (\(cause.reason)): \(detail)"
                    )
            case .message:
                decision = .failed(reason: Self.describe(result))
            case .transient:
                if let next = self.nextAttempt(message) {
                    decision = .retry(at: next, recipients: message.recipients)
                } else {
                    decision = .failed(
                        reason:
                            "gave up after \(message.attempt) attempts over \(Self.span(self.retry.giveUpAfter)): \(Self.describe(result))"
                    )
                }
            }
        case .transientFailure, .permanentFailure:
            // A refusal that means "slow down" (throttling, quota), even as a 5xx, is waited out.
            let duration = classification == .quotaExceeded ? self.quotaPause : self.throttlePause
            pause = ServerPause(
                duration: duration,
                reason: classification == .quotaExceeded
                    ? "sending quota used up: \(result.reply)" : "throttled: \(result.reply)"
            )
            let next = self.now.addingTimeInterval(duration.seconds * (1 + 0.2 * self.jitterUnit))
            decision =
                next.timeIntervalSince(message.queuedAt) <= self.retry.giveUpAfter.seconds
                ? .retry(at: next, recipients: message.recipients)
                : .failed(
                    reason: "still throttled \(Self.span(self.retry.giveUpAfter)) after it was queued: \(result.reply)"
                )
        case .uncertain:
            uncertain = true
            switch self.uncertainPolicy {
            case .retry:
                if let next = self.nextAttempt(message) {
                    decision = .retry(at: next, recipients: message.recipients)
                } else {
                    decision = .failed(reason: "outcome uncertain and retries exhausted: \(Self.describe(result))")
                }
            case .fail:
                decision = .failed(
                    reason: "outcome uncertain (the server may have received it; policy fail): \(Self.describe(result))"
                )
            }
        }
        if case .failed(let reason) = decision, message.partlyDelivered {
            // An earlier attempt reached the other recipients: the message is sent, minus these.
            decision = .sent
            note = "not delivered to \(message.recipients.joined(separator: ", ")): \(reason)"
        }
        var reply = Self.describe(result)
        if let block, case .retry = decision {
            // What GetMessage shows: why the message waits, and what fixes it.
            reply = "waiting: the server cannot take mail (\(block.cause.reason)): \(reply). \(block.cause.remedy)"
        }
        let waits = pause != nil || (block != nil && { if case .retry = decision { true } else { false } }())
        let attempt = AttemptResult(
            messageID: message.id,
            decision: decision,
            startedAt: startedAt,
            durationMilliseconds: max(0, Int(self.now.timeIntervalSince(startedAt) * 1000)),
            outcome: waits ? "deferred" : result.outcome.rawValue,
            stage: result.stage.rawValue,
            replyCode: result.replyCode,
            reply: reply,
            recipientResults: recipientResults,
            uncertain: uncertain,
            note: note
        )
        return DeliveryVerdict(attempt: attempt, pause: pause, block: block)
    }

    /// A result for a message that could not even be attempted (server gone, secret
    /// unreadable, no OAuth token): it waits for `problem.retryAt` or the backoff. Mail
    /// waiting for an operator to fix OAuth is never failed for it.
    func notAttempted(_ message: ClaimedMessage, _ problem: EndpointUnavailable) -> AttemptResult {
        var decision: AttemptResult.Decision = .failed(reason: problem.reason)
        if problem.retryable {
            let backoff =
                self.nextAttempt(message)
                ?? (problem.waitsForOperator ? self.now.addingTimeInterval(self.retry.maximumDelay.seconds) : nil)
            if let backoff {
                var at = backoff
                if let retryAt = problem.retryAt, retryAt > at,
                    problem.waitsForOperator
                        || retryAt.timeIntervalSince(message.queuedAt) <= self.retry.giveUpAfter.seconds
                {
                    at = retryAt
                }
                decision = .retry(at: at, recipients: message.recipients)
            }
        }
        return AttemptResult(
            messageID: message.id,
            decision: decision,
            startedAt: self.now,
            durationMilliseconds: 0,
            outcome: problem.retryable ? "deferred" : "permanent_failure",
            stage: problem.stage,
            replyCode: 0,
            reply: problem.reason
        )
    }

    private func nextAttempt(_ message: ClaimedMessage) -> Date? {
        self.retry.nextAttempt(
            afterAttempts: message.attempt,
            queuedAt: message.queuedAt,
            now: self.now,
            unit: self.jitterUnit
        )
    }

    /// The reply with its stage, or the connection problem.
    static func describe(_ result: SMTPResult) -> String {
        result.reply.isEmpty ? result.detail : result.reply
    }

    static func code(of reply: String) -> Int {
        Int(reply.prefix(3)) ?? 0
    }

    /// The retry window as people write it: "24 h", "90 min", "45 s".
    static func span(_ duration: Duration) -> String {
        let seconds = Int(duration.seconds.rounded())
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}
