import Foundation
import MailgateCore
import Testing

@testable import MailgateMail
@testable import MailgateService
@testable import MailgateStore

/// What happens to a message after what the SMTP server said: the delivery policy alone,
/// with a fixed clock and jitter, no server and no database.
@Suite("Delivery decisions")
struct DeliveryDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let retry = RetryPolicy(
        initialDelay: .seconds(60),
        maximumDelay: .seconds(3600),
        giveUpAfter: .seconds(86400)
    )

    static func decision(uncertain: UncertainPolicy = .retry) -> DeliveryDecision {
        DeliveryDecision(retry: Self.retry, uncertainPolicy: uncertain, now: Self.now, jitterUnit: 0.5)
    }

    static func message(attempt: Int = 1, queuedAgo: TimeInterval = 0, partlyDelivered: Bool = false) -> ClaimedMessage
    {
        ClaimedMessage(
            id: UUID(),
            tenantID: UUID(),
            serverID: UUID(),
            envelopeFrom: "sender@example.com",
            recipients: ["a@example.org", "b@example.org"],
            body: Array("Subject: hi\r\n\r\nhello\r\n".utf8),
            requiresSMTPUTF8: false,
            attempt: attempt,
            queuedAt: Self.now.addingTimeInterval(-queuedAgo),
            partlyDelivered: partlyDelivered
        )
    }

    static func smtp(
        _ outcome: SMTPResult.Outcome,
        stage: SMTPStage = .data,
        code: Int,
        reply: String,
        rejected: [String: String] = [:]
    ) -> SMTPResult {
        SMTPResult(
            outcome: outcome,
            stage: stage,
            replyCode: code,
            reply: reply,
            rejectedRecipients: rejected,
            curlCode: outcome == .delivered ? 0 : 55,
            detail: "",
            newConnection: true
        )
    }

    /// A decision's kind, for tables.
    enum Kind: Equatable {
        case sent, retry, failed
    }

    static func kind(_ decision: AttemptResult.Decision) -> Kind {
        switch decision {
        case .sent: .sent
        case .retry: .retry
        case .failed: .failed
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var result: SMTPResult
        var attempt = 1
        var queuedAgo: TimeInterval = 0
        var uncertain = UncertainPolicy.retry
        var expected: Kind
        var pauses = false
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "250 after DATA is sent",
            result: smtp(.delivered, code: 250, reply: "250 2.0.0 Ok"),
            expected: .sent
        ),
        Case(
            name: "a 4xx is retried later",
            result: smtp(.transientFailure, code: 451, reply: "451 4.3.0 try later"),
            expected: .retry
        ),
        Case(
            name: "a connection failure is retried later",
            result: smtp(.transientFailure, stage: .connect, code: 0, reply: ""),
            expected: .retry
        ),
        Case(
            name: "a 5xx about the message fails it",
            result: smtp(.permanentFailure, code: 554, reply: "554 5.6.0 message refused"),
            expected: .failed
        ),
        Case(
            name: "a 4xx once the retry window is over fails it",
            result: smtp(.transientFailure, code: 451, reply: "451 4.3.0 try later"),
            attempt: 20,
            queuedAgo: 86400,
            expected: .failed
        ),
        Case(
            name: "Exchange's concurrency limit (432 4.3.2) pauses the server and retries",
            result: smtp(
                .transientFailure,
                code: 432,
                reply: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
            ),
            expected: .retry,
            pauses: true
        ),
        Case(
            name: "a used-up sending quota, even as a 5xx, pauses the server and retries",
            result: smtp(
                .permanentFailure,
                code: 554,
                reply: "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
            ),
            expected: .retry,
            pauses: true
        ),
        Case(
            name: "a broken connection after DATA is retried under policy retry",
            result: smtp(.uncertain, code: 0, reply: ""),
            expected: .retry
        ),
        Case(
            name: "a broken connection after DATA fails under policy fail",
            result: smtp(.uncertain, code: 0, reply: ""),
            uncertain: .fail,
            expected: .failed
        ),
    ]

    @Test("each SMTP outcome leads to its decision", arguments: cases)
    func outcomes(_ testCase: Case) {
        let message = Self.message(attempt: testCase.attempt, queuedAgo: testCase.queuedAgo)
        let verdict = Self.decision(uncertain: testCase.uncertain)
            .decide(testCase.result, message: message, startedAt: Self.now)
        #expect(Self.kind(verdict.attempt.decision) == testCase.expected)
        #expect((verdict.pause != nil) == testCase.pauses)
        #expect(verdict.attempt.messageID == message.id)
        #expect(verdict.attempt.uncertain == (testCase.result.outcome == .uncertain))
        if testCase.pauses { #expect(verdict.attempt.outcome == "deferred") }
    }

    @Test("a retry comes after the backoff, and throttling waits out the server's pause")
    func retryTimes() throws {
        let backoff = Self.decision().decide(
            Self.smtp(.transientFailure, code: 451, reply: "451 4.3.0 later"),
            message: Self.message(),
            startedAt: Self.now
        )
        guard case .retry(let at, let recipients) = backoff.attempt.decision else {
            Issue.record("expected a retry, got \(backoff.attempt.decision)")
            return
        }
        #expect(at.timeIntervalSince(Self.now) == 60)
        #expect(recipients == ["a@example.org", "b@example.org"])

        let throttled = Self.decision().decide(
            Self.smtp(.transientFailure, code: 432, reply: "432 4.3.2 too many concurrent connections"),
            message: Self.message(),
            startedAt: Self.now
        )
        let pause = try #require(throttled.pause)
        #expect(pause.duration == .seconds(60))
        #expect(pause.reason.hasPrefix("throttled: 432"))
        guard case .retry(let after, _) = throttled.attempt.decision else {
            Issue.record("expected a retry")
            return
        }
        #expect(after.timeIntervalSince(Self.now) >= 60)
    }

    @Test(
        "a refused password blocks the server: the message waits the block's first wait and says why; once its retry window is over it fails with the cause"
    )
    func serverFaultBlocks() throws {
        let refused = Self.smtp(
            .permanentFailure,
            stage: .auth,
            code: 535,
            reply: "535 5.7.8 Authentication credentials invalid"
        )
        let waiting = Self.decision().decide(refused, message: Self.message(), startedAt: Self.now, authType: .basic)
        let block = try #require(waiting.block)
        #expect(block.cause == .credentialsRejected)
        #expect(block.detail == "535 5.7.8 Authentication credentials invalid")
        #expect(waiting.pause == nil)
        guard case .retry(let at, let recipients) = waiting.attempt.decision else {
            Issue.record("a server fault ended the message: \(waiting.attempt.decision)")
            return
        }
        #expect(at.timeIntervalSince(Self.now) == 30, "the block's first wait, not the message backoff")
        #expect(recipients == ["a@example.org", "b@example.org"])
        #expect(waiting.attempt.outcome == "deferred")
        #expect(waiting.attempt.reply.hasPrefix("waiting: the server cannot take mail (CREDENTIALS_REJECTED)"))
        #expect(waiting.attempt.reply.hasSuffix(KnownCause.credentialsRejected.remedy))

        // The twentieth attempt a day after it was queued: the server is still blocked.
        let expired = Self.decision().decide(
            refused,
            message: Self.message(attempt: 20, queuedAgo: 86400),
            startedAt: Self.now,
            authType: .basic
        )
        guard case .failed(let reason) = expired.attempt.decision else {
            Issue.record("a message past its retry window kept waiting: \(expired.attempt.decision)")
            return
        }
        #expect(reason.contains("24 h"))
        #expect(reason.contains("CREDENTIALS_REJECTED"))
        #expect(reason.hasSuffix("535 5.7.8 Authentication credentials invalid"))
    }

    @Test("recipients refused with 4xx are retried alone; the others count as delivered")
    func partialDelivery() {
        let verdict = Self.decision().decide(
            Self.smtp(
                .delivered,
                code: 250,
                reply: "250 2.0.0 Ok",
                rejected: ["b@example.org": "450 4.2.1 mailbox busy"]
            ),
            message: Self.message(),
            startedAt: Self.now
        )
        guard case .retry(_, let recipients) = verdict.attempt.decision else {
            Issue.record("expected a retry of the deferred recipient, got \(verdict.attempt.decision)")
            return
        }
        #expect(recipients == ["b@example.org"])
        #expect(verdict.attempt.recipientResults["a@example.org"]?.code == 250)
        #expect(verdict.attempt.recipientResults["b@example.org"]?.code == 450)
    }

    @Test("a failure after an earlier attempt reached some recipients leaves the message sent, with a note")
    func failureAfterPartialDelivery() {
        let verdict = Self.decision().decide(
            Self.smtp(.permanentFailure, stage: .rcpt, code: 550, reply: "550 5.1.1 no such user"),
            message: Self.message(attempt: 2, partlyDelivered: true),
            startedAt: Self.now
        )
        #expect(verdict.attempt.decision == .sent)
        #expect(verdict.attempt.note.contains("550 5.1.1 no such user"))
    }

    @Test("mail that waits for an operator to fix OAuth is never failed for running out of retries")
    func waitsForOperator() {
        let problem = EndpointUnavailable(
            reason: "no OAuth access token (CLIENT_SECRET_EXPIRED)",
            retryable: true,
            stage: "token",
            waitsForOperator: true
        )
        let exhausted = Self.message(attempt: 30, queuedAgo: 90000)
        let result = Self.decision().notAttempted(exhausted, problem)
        #expect(Self.kind(result.decision) == .retry)
        #expect(result.outcome == "deferred")

        let ordinary = EndpointUnavailable(reason: "the database is unavailable", retryable: true)
        #expect(Self.kind(Self.decision().notAttempted(exhausted, ordinary).decision) == .failed)

        let gone = EndpointUnavailable(reason: "its output server was deleted", retryable: false)
        let failed = Self.decision().notAttempted(Self.message(), gone)
        #expect(failed.decision == .failed(reason: "its output server was deleted"))
        #expect(failed.outcome == "permanent_failure")
    }
}
