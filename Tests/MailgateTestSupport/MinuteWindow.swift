import Foundation

/// Per-minute quotas count calendar minutes (UTC, as PostgreSQL's `date_trunc('minute', now())`):
/// a test that uses up an allowance and then expects a refusal must not straddle a minute's end.
public enum MinuteWindow {
    /// Returns at once when at least `needed` of the current minute is left; otherwise
    /// waits until the next minute has begun.
    public static func waitForRoom(_ needed: Duration = .seconds(30)) async throws {
        let intoMinute = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
        let left = 60 - intoMinute
        if left < Double(needed.components.seconds) {
            try await Task.sleep(for: .milliseconds(Int((left + 0.2) * 1000)))
        }
    }
}
