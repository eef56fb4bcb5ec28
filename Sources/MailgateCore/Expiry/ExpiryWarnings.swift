import Foundation

/// Which client-secret expiry warning is due: each threshold (days before expiry; 0 =
/// expired) is sent once per secret, and after downtime only the most urgent missed
/// one is sent, the others recorded as skipped.
public struct ExpiryWarnings: Sendable, Hashable {
    /// 60, 30, 14, 7, 3 and 1 days before, and "expired".
    public static let defaultThresholds = [60, 30, 14, 7, 3, 1]
    /// The threshold that stands for "expired".
    public static let expired = 0

    /// What to do now for one secret.
    public struct Due: Sendable, Hashable {
        /// The warning to send, if any.
        public var send: Int?
        /// Thresholds that passed unnoticed (the service was down): recorded, never sent.
        public var skip: [Int]

        public init(send: Int?, skip: [Int]) {
            self.send = send
            self.skip = skip
        }
    }

    /// Thresholds in days, most distant first; "expired" is always included.
    public let thresholds: [Int]

    public init(thresholds: [Int] = Self.defaultThresholds) {
        self.thresholds = Array(Set(thresholds.filter { $0 > 0 } + [Self.expired])).sorted(by: >)
    }

    /// The thresholds `expiresAt` has crossed at `now`, given those already recorded.
    public func due(expiresAt: Date, now: Date, recorded: Set<Int>) -> Due {
        let remaining = expiresAt.timeIntervalSince(now)
        let crossed = self.thresholds.filter { remaining <= TimeInterval($0) * 86400 }
        guard let mostUrgent = crossed.min(), !recorded.contains(mostUrgent) else { return Due(send: nil, skip: []) }
        return Due(send: mostUrgent, skip: crossed.filter { $0 != mostUrgent && !recorded.contains($0) })
    }

    /// Whole days left (negative once expired), rounded down.
    public static func daysLeft(expiresAt: Date, now: Date) -> Int {
        Int((expiresAt.timeIntervalSince(now) / 86400).rounded(.down))
    }

    /// Severity rising as the date nears.
    public static func severity(threshold: Int) -> EventSeverity {
        switch threshold {
        case Self.expired: .critical
        case ...3: .error
        case ...14: .warning
        default: .info
        }
    }

    /// Parses "60,30,14,7,3,1"; nil when any entry is not a positive whole number of days.
    public static func parse(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let days = parts.compactMap { Int($0) }
        guard !parts.isEmpty, days.count == parts.count, days.allSatisfy({ $0 > 0 && $0 <= 3650 }) else { return nil }
        return days
    }
}
