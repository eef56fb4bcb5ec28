import Foundation
import Testing

@testable import MailgateCore

@Suite("Date header, retry policy, reply classification")
struct DeliveryPolicyTests {
    @Test("the Date header matches a Gregorian UTC calendar for dates across centuries")
    func dateHeader() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        let samples =
            [-86_401.0, -1, 0, 951_782_400, 4_107_542_399]
            + (0..<500).map { _ in Double(Int64.random(in: -2_000_000_000...8_000_000_000, using: &generator)) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
            let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            let expected =
                "\(weekdays[parts.weekday! - 1]), \(parts.day!) \(months[parts.month! - 1]) \(parts.year!) "
                + String(format: "%02d:%02d:%02d +0000", parts.hour!, parts.minute!, parts.second!)
            #expect(HeaderEncoding.date(date) == expected, "at \(seconds)")
        }
    }

    @Test("backoff doubles from the initial delay up to the cap, with bounded jitter, and gives up after the total")
    func retryPolicy() {
        let policy = RetryPolicy(
            initialDelay: .seconds(60),
            maximumDelay: .seconds(3600),
            giveUpAfter: .seconds(86400),
            jitter: 0.2
        )
        #expect(policy.baseDelay(afterAttempts: 1) == .seconds(60))
        #expect(policy.baseDelay(afterAttempts: 2) == .seconds(120))
        #expect(policy.baseDelay(afterAttempts: 7) == .seconds(3600))
        #expect(policy.baseDelay(afterAttempts: 100) == .seconds(3600))
        let queued = Date(timeIntervalSince1970: 1_000_000)
        let low = policy.nextAttempt(afterAttempts: 1, queuedAt: queued, now: queued, unit: 0)!
        let high = policy.nextAttempt(afterAttempts: 1, queuedAt: queued, now: queued, unit: 1)!
        #expect(abs(low.timeIntervalSince(queued) - 48) < 0.01)
        #expect(abs(high.timeIntervalSince(queued) - 72) < 0.01)
        let late = queued.addingTimeInterval(86400 - 30)
        #expect(policy.nextAttempt(afterAttempts: 20, queuedAt: queued, now: late, unit: 0.5) == nil)
    }

    @Test("throttling and quota replies are told apart from ordinary ones")
    func replies() {
        #expect(
            ReplyClassification(code: 432, text: "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded")
                == .throttled
        )
        #expect(
            ReplyClassification(
                code: 554,
                text: "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
            ) == .quotaExceeded
        )
        #expect(ReplyClassification(code: 550, text: "550 5.4.5 Daily user sending limit exceeded") == .quotaExceeded)
        #expect(ReplyClassification(code: 421, text: "421 4.7.0 Try again later, closing connection") == .throttled)
        #expect(ReplyClassification(code: 451, text: "451 4.3.0 Try again later") == .ordinary)
        #expect(ReplyClassification(code: 550, text: "550 5.1.1 No such user") == .ordinary)
        #expect(ReplyClassification(code: 554, text: "554 5.7.1 Message rejected as spam") == .ordinary)
    }
}
