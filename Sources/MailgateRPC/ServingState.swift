import Synchronization

/// Whether the server still takes new calls, shared with handlers that report it
/// (health checks, readiness) before the server itself exists.
public final class ServingState: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// True once graceful shutdown has begun.
    public var isDraining: Bool { self.draining.load(ordering: .relaxed) }

    func beginDraining() {
        self.draining.store(true, ordering: .relaxed)
    }
}
