import Synchronization

/// Counts calls in flight across all connections and refuses past a limit.
final class ConcurrencyLimiter: Sendable {
    private let inFlight = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when all `limit` slots are taken.
    func tryAcquire() -> Bool {
        var current = self.inFlight.load(ordering: .relaxed)
        while current < self.limit {
            let (exchanged, original) = self.inFlight.compareExchange(
                expected: current,
                desired: current + 1,
                ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        self.inFlight.subtract(1, ordering: .acquiringAndReleasing)
    }

    var current: Int { self.inFlight.load(ordering: .relaxed) }
}
