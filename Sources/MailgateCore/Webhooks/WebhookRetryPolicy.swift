import Foundation

/// What happens after one attempt to post a webhook delivery: 2xx delivers it; anything
/// else is tried again with exponential backoff and jitter (`RetryPolicy`), sooner or later
/// as a 429 or 503 asks with Retry-After, until the attempts or the time run out.
public struct WebhookRetryPolicy: Sendable, Hashable {
    /// Backoff, cap and the time after which a delivery is given up.
    public var backoff: RetryPolicy
    /// A delivery that failed this many attempts is given up.
    public var maximumAttempts: Int

    public init(
        backoff: RetryPolicy = RetryPolicy(initialDelay: .seconds(10), maximumDelay: .seconds(3600)),
        maximumAttempts: Int = 15
    ) {
        self.backoff = backoff
        self.maximumAttempts = max(1, maximumAttempts)
    }

    /// What to do after an attempt.
    public enum Decision: Sendable, Hashable {
        case delivered
        case retry(at: Date)
        case giveUp
    }

    /// The decision after attempt number `attempts` answered `status` (nil: no response),
    /// for a delivery created at `createdAt`. `retryAfter` is the response's Retry-After
    /// header, honoured on 429 and 503 (at most the backoff's cap). `unit` picks the jitter.
    public func decide(
        status: Int?,
        retryAfter: String? = nil,
        attempts: Int,
        createdAt: Date,
        now: Date,
        unit: Double = Double.random(in: 0...1)
    ) -> Decision {
        if let status, (200..<300).contains(status) { return .delivered }
        guard attempts < self.maximumAttempts else { return .giveUp }
        if let status, status == 429 || status == 503, let asked = Self.retryAfter(retryAfter, now: now) {
            let wait = min(max(asked, 1), self.backoff.maximumDelay.seconds)
            let next = now.addingTimeInterval(wait)
            return next.timeIntervalSince(createdAt) <= self.backoff.giveUpAfter.seconds ? .retry(at: next) : .giveUp
        }
        guard
            let next = self.backoff.nextAttempt(afterAttempts: attempts, queuedAt: createdAt, now: now, unit: unit)
        else {
            return .giveUp
        }
        return .retry(at: next)
    }

    /// Seconds to wait from a Retry-After value: delay-seconds, or an HTTP date.
    static func retryAfter(_ value: String?, now: Date) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return seconds >= 0 ? Double(seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSince(now)) }
    }
}
