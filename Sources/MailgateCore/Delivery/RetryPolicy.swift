import Foundation

/// When a message that failed transiently is tried again: exponential backoff with
/// jitter, capped, and given up after a total time since the message was queued.
public struct RetryPolicy: Sendable, Hashable {
    /// Delay after the first failed attempt.
    public var initialDelay: Duration
    /// The backoff never grows beyond this.
    public var maximumDelay: Duration
    /// A message still undelivered this long after it was queued fails.
    public var giveUpAfter: Duration
    /// Each delay is spread by up to this fraction either way, so retries of many
    /// messages that failed together do not arrive together.
    public var jitter: Double

    public init(
        initialDelay: Duration = .seconds(60),
        maximumDelay: Duration = .seconds(3600),
        giveUpAfter: Duration = .seconds(24 * 3600),
        jitter: Double = 0.2
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.giveUpAfter = giveUpAfter
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay after `attempts` failed attempts (1 = the first one failed), before jitter.
    public func baseDelay(afterAttempts attempts: Int) -> Duration {
        let doublings = max(0, min(attempts - 1, 40))
        let seconds = self.initialDelay.seconds * pow(2, Double(doublings))
        return .milliseconds(Int64(min(seconds, self.maximumDelay.seconds) * 1000))
    }

    /// When to try again after `attempts` failed attempts, or nil when the message has
    /// waited `giveUpAfter` since `queuedAt` (the next attempt would come later still).
    /// `unit` in 0...1 picks the jitter; tests fix it.
    public func nextAttempt(
        afterAttempts attempts: Int,
        queuedAt: Date,
        now: Date,
        unit: Double = Double.random(in: 0...1)
    ) -> Date? {
        let base = self.baseDelay(afterAttempts: attempts).seconds
        let spread = base * self.jitter * (2 * min(max(unit, 0), 1) - 1)
        let next = now.addingTimeInterval(max(0.001, base + spread))
        guard next.timeIntervalSince(queuedAt) <= self.giveUpAfter.seconds else { return nil }
        return next
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in whole milliseconds.
    public var milliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
