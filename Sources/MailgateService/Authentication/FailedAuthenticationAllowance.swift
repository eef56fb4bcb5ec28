/// How many failed authentications each client address has left: a token bucket per address
/// (`PeerAddress.limitKey`), `burst` deep, refilled at `perMinute`. An address with none left
/// may not make the server look up key ids it does not know until one refills, and its
/// failures are answered as rate-limited.
///
/// A value: times are passed in as offsets from any fixed start, so the rule is tested without
/// a clock. At most `maximumAddresses` are remembered; addresses whose bucket refilled are
/// forgotten first (they are as good as new).
struct FailedAuthenticationAllowance: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Duration
    }

    let burst: Int
    let perMinute: Int
    let maximumAddresses: Int
    private var buckets: [String: Bucket] = [:]

    init(burst: Int, perMinute: Int, maximumAddresses: Int = 10_000) {
        self.burst = max(burst, 1)
        self.perMinute = max(perMinute, 1)
        self.maximumAddresses = max(maximumAddresses, 1)
    }

    /// Addresses remembered (those with failures not yet refilled, mostly).
    var addressCount: Int { self.buckets.count }

    /// Takes one failure from `address`'s allowance: nil when there was one, else how long until
    /// there is (and nothing is taken). Callers about to do something only a failure may cost
    /// (a lookup of an unknown key id) take it first, and `refund` it if it went well: that
    /// holds under concurrent calls from one address.
    mutating func charge(_ address: String, now: Duration) -> Duration? {
        let tokens = self.buckets[address].map { self.refilled($0, now: now) } ?? Double(self.burst)
        guard tokens >= 1 else {
            self.buckets[address] = Bucket(tokens: tokens, updatedAt: now)
            let secondsPerToken = 60 / Double(self.perMinute)
            return .seconds((1 - tokens) * secondsPerToken)
        }
        if self.buckets[address] == nil, self.buckets.count >= self.maximumAddresses { self.forgetSome(now: now) }
        self.buckets[address] = Bucket(tokens: tokens - 1, updatedAt: now)
        return nil
    }

    /// Gives back a failure `charge` took for something that went well.
    mutating func refund(_ address: String, now: Duration) {
        guard let bucket = self.buckets[address] else { return }
        self.buckets[address] = Bucket(
            tokens: min(self.refilled(bucket, now: now) + 1, Double(self.burst)),
            updatedAt: now
        )
    }

    private func refilled(_ bucket: Bucket, now: Duration) -> Double {
        let elapsed = max(now - bucket.updatedAt, .zero)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(bucket.tokens + seconds * Double(self.perMinute) / 60, Double(self.burst))
    }

    /// Makes room: refilled buckets go first; if that is not enough, half of the rest.
    private mutating func forgetSome(now: Duration) {
        self.buckets = self.buckets.filter { self.refilled($0.value, now: now) < Double(self.burst) }
        guard self.buckets.count >= self.maximumAddresses else { return }
        let keep = self.buckets.sorted { $0.value.updatedAt > $1.value.updatedAt }.prefix(self.maximumAddresses / 2)
        self.buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
