import Foundation
import MailgateCore
import Testing

@Suite("Webhook retry policy")
struct WebhookRetryPolicyTests {
    static let policy = WebhookRetryPolicy(
        backoff: RetryPolicy(initialDelay: .seconds(10), maximumDelay: .seconds(3600), giveUpAfter: .seconds(86400)),
        maximumAttempts: 5
    )
    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("any 2xx delivers", arguments: [200, 201, 202, 204, 299])
    func success(status: Int) {
        #expect(
            Self.policy.decide(status: status, attempts: 1, createdAt: Self.created, now: Self.created) == .delivered
        )
    }

    @Test("other answers and no answer are retried after 10 s doubling, with the jitter's spread")
    func backoff() {
        for (attempts, seconds) in [(1, 10.0), (2, 20.0), (3, 40.0), (4, 80.0)] {
            let decision = Self.policy.decide(
                status: attempts == 2 ? nil : 500,
                attempts: attempts,
                createdAt: Self.created,
                now: Self.created,
                unit: 0.5
            )
            #expect(decision == .retry(at: Self.created.addingTimeInterval(seconds)), "after \(attempts)")
        }
        let early = Self.policy.decide(status: 500, attempts: 1, createdAt: Self.created, now: Self.created, unit: 0)
        #expect(early == .retry(at: Self.created.addingTimeInterval(8)), "20 % jitter")
    }

    @Test("the maximum attempts, or the give-up time, end it")
    func givingUp() {
        #expect(Self.policy.decide(status: 500, attempts: 5, createdAt: Self.created, now: Self.created) == .giveUp)
        let late = Self.created.addingTimeInterval(86_395)
        #expect(Self.policy.decide(status: 500, attempts: 2, createdAt: Self.created, now: late, unit: 0.5) == .giveUp)
    }

    @Test("Retry-After in seconds or as an HTTP date is honoured on 429 and 503 only, up to the cap")
    func retryAfter() {
        let now = Self.created
        func decide(_ status: Int, _ header: String) -> WebhookRetryPolicy.Decision {
            Self.policy.decide(status: status, retryAfter: header, attempts: 1, createdAt: now, now: now, unit: 0.5)
        }
        #expect(decide(429, "120") == .retry(at: now.addingTimeInterval(120)))
        #expect(decide(503, "99999") == .retry(at: now.addingTimeInterval(3600)))
        #expect(decide(500, "120") == .retry(at: now.addingTimeInterval(10)), "only 429 and 503")
        #expect(decide(503, "Tue, 14 Nov 2023 22:18:20 GMT") == .retry(at: now.addingTimeInterval(300)))
        #expect(decide(429, "soon") == .retry(at: now.addingTimeInterval(10)), "unreadable: the backoff")
    }
}
