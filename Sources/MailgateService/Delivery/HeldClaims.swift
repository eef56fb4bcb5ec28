import Foundation
import Synchronization

/// The claims this replica's workers hold right now, each with the instant until which it
/// surely holds: only these leases are renewed, so a claim a worker gave up on (its results
/// could not be written) runs out and another replica takes the messages over.
final class HeldClaims: Sendable {
    private let claims = Mutex<[UUID: ContinuousClock.Instant]>([:])

    /// Starts holding `token`, whose lease runs at least until `until`.
    func hold(_ token: UUID, until: ContinuousClock.Instant) {
        self.claims.withLock { $0[token] = until }
    }

    func drop(_ token: UUID) { self.claims.withLock { _ = $0.removeValue(forKey: token) } }

    /// The claims to renew.
    var current: [UUID] { self.claims.withLock { Array($0.keys) } }

    /// Records a renewal of `tokens` that runs at least until `until`; claims dropped
    /// meanwhile stay dropped.
    func renewed(_ tokens: [UUID], until: ContinuousClock.Instant) {
        self.claims.withLock { claims in
            for token in tokens {
                if let held = claims[token], held < until { claims[token] = until }
            }
        }
    }

    /// Until when the claim `token` surely holds; nil once it is dropped.
    func heldUntil(_ token: UUID) -> ContinuousClock.Instant? {
        self.claims.withLock { $0[token] }
    }
}
