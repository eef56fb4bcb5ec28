/// How urgent an event in a tenant's notification panel is; ordered.
public enum EventSeverity: Int, Sendable, Hashable, Comparable, CaseIterable {
    case info = 1
    case warning = 2
    case error = 3
    case critical = 4

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
