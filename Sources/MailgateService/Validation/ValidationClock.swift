/// The time a validation may still spend: each check gets its own limit, cut short
/// when the call's deadline is nearer.
struct ValidationClock: Sendable {
    let deadline: ContinuousClock.Instant
    /// Kept back for storing the result and answering, even on a busy machine: a fifth
    /// of the time there is, between 1 and 5 seconds.
    let reserve: Duration

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
        self.reserve = min(.seconds(5), max(.seconds(1), (deadline - ContinuousClock.now) / 5))
    }

    /// What is left before the deadline itself (the reserve included), at least a moment.
    var remaining: Duration { max(.milliseconds(50), self.deadline - ContinuousClock.now) }

    /// `limit`, or what is left before the deadline when that is less; nil when too little is left to try.
    func budget(_ limit: Duration) -> Duration? {
        let left = self.deadline - ContinuousClock.now - self.reserve
        guard left >= .milliseconds(200) else { return nil }
        return min(limit, left)
    }
}
