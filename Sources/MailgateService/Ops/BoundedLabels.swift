import Synchronization

/// Metric label values drawn from an open set (tenant slugs), kept to a bounded number:
/// the first `limit` values seen keep their name, later ones share `overflow`.
final class BoundedLabels: Sendable {
    private let limit: Int
    private let overflow: String
    private let seen = Mutex<Set<String>>([])

    init(limit: Int, overflow: String) {
        self.limit = limit
        self.overflow = overflow
    }

    func label(_ value: String) -> String {
        self.seen.withLock { seen in
            if seen.contains(value) { return value }
            guard seen.count < self.limit else { return self.overflow }
            seen.insert(value)
            return value
        }
    }
}
