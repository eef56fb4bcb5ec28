import Foundation
import MailgateCore
import Testing

@testable import MailgateService

/// The token service's caching and backoff rules alone, with the default settings
/// (refresh margin 10 min, backoff 30 s doubling to 10 min, 15 min after operator failures).
@Suite("Token policy")
struct TokenPolicyTests {
    static let policy = TokenPolicy(settings: TokenSettings())
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(
        "a cached token is used only while more than the refresh margin (or half a short life) remains",
        arguments: [
            // (lifetime left, issued ago, usable)
            (3600.0, 0.0, true),
            (601.0, 2999.0, true),
            (600.0, 3000.0, false),
            (30.0, 3570.0, false),
            // A token that lives 10 minutes in all is used for its first half.
            (301.0, 299.0, true),
            (299.0, 301.0, false),
        ]
    )
    func freshness(left: TimeInterval, issuedAgo: TimeInterval, usable: Bool) {
        let fresh = Self.policy.isFreshEnough(
            expiresAt: Self.now.addingTimeInterval(left),
            setAt: Self.now.addingTimeInterval(-issuedAgo),
            now: Self.now
        )
        #expect(fresh == usable)
    }

    @Test("an expired token is never fresh, whatever is known of its issue")
    func expired() {
        #expect(!Self.policy.isFreshEnough(expiresAt: Self.now.addingTimeInterval(-1), setAt: nil, now: Self.now))
    }

    @Test(
        "an unreachable endpoint backs off from 30 s, doubling to 10 min",
        arguments: [(0, 30), (1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (40, 600)]
    )
    func transientBackoff(previousFailures: Int, seconds: Int) {
        #expect(
            Self.policy.retryDelay(after: .endpointUnavailable, previousFailures: previousFailures) == .seconds(seconds)
        )
    }

    @Test(
        "a failure an operator must fix waits 15 min however often it recurs",
        arguments: TokenFailureReason.allCases.filter { !$0.isTransient }
    )
    func operatorFailures(reason: TokenFailureReason) {
        #expect(Self.policy.retryDelay(after: reason, previousFailures: 0) == .seconds(900))
        #expect(Self.policy.retryDelay(after: reason, previousFailures: 7) == .seconds(900))
        #expect(Self.policy.raisesEvent(for: reason, previousFailures: 7))
    }

    @Test("an unreachable endpoint raises one event per run of failures, not one per retry")
    func eventsForTransientFailures() {
        #expect(Self.policy.raisesEvent(for: .endpointUnavailable, previousFailures: 0))
        #expect(!Self.policy.raisesEvent(for: .endpointUnavailable, previousFailures: 1))
    }
}
