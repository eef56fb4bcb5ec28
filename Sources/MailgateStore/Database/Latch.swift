import Synchronization

/// A one-time signal between tasks: `wait()` suspends until `open()` (and returns at once
/// after it), or throws the error given to `fail(_:)`. A cancelled waiter throws
/// `CancellationError` and is forgotten. Used where one service must not start its work
/// before another is ready (the schema migrated, a pool running), instead of a sleep.
public final class Latch: Sendable {
    private enum State {
        case closed(waiters: [UInt64: CheckedContinuation<Void, any Error>], nextID: UInt64)
        case opened
        case failed(any Error)
    }

    private let state = Mutex(State.closed(waiters: [:], nextID: 0))

    public init() {}

    /// Lets every waiter, present and future, go on.
    public func open() {
        self.settle(.success(()))
    }

    /// Makes every waiter, present and future, throw `error`. Ignored once settled.
    public func fail(_ error: any Error) {
        self.settle(.failure(error))
    }

    /// Whether `open()` was called.
    public var isOpen: Bool {
        self.state.withLock { state in
            if case .opened = state { return true }
            return false
        }
    }

    /// Returns once the latch opens; throws when it failed or the task is cancelled.
    public func wait() async throws {
        let id = self.state.withLock { state -> UInt64 in
            guard case .closed(let waiters, let nextID) = state else { return 0 }
            state = .closed(waiters: waiters, nextID: nextID + 1)
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let settled = self.state.withLock { state -> Result<Void, any Error>? in
                    switch state {
                    case .opened:
                        return .success(())
                    case .failed(let error):
                        return .failure(error)
                    case .closed(var waiters, let nextID):
                        // Checked under the lock the cancellation handler takes too: no waiter is lost.
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters[id] = continuation
                        state = .closed(waiters: waiters, nextID: nextID)
                        return nil
                    }
                }
                if let settled { continuation.resume(with: settled) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard case .closed(var waiters, let nextID) = state, let waiter = waiters.removeValue(forKey: id) else {
                    return nil
                }
                state = .closed(waiters: waiters, nextID: nextID)
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func settle(_ outcome: Result<Void, any Error>) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .closed(let waiters, _) = state else { return [] }
            switch outcome {
            case .success: state = .opened
            case .failure(let error): state = .failed(error)
            }
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
