import Foundation
import Synchronization

/// The claims this replica's workers hold right now: only their leases are renewed, so
/// a claim a worker gave up on (its results could not be written) runs out and another
/// replica takes the messages over.
final class HeldClaims: Sendable {
    private let tokens = Mutex<Set<UUID>>([])

    func hold(_ token: UUID) { self.tokens.withLock { _ = $0.insert(token) } }

    func drop(_ token: UUID) { self.tokens.withLock { _ = $0.remove(token) } }

    var current: [UUID] { self.tokens.withLock { Array($0) } }
}
