import Synchronization

/// The value of `operation`, or nil when it takes longer than `limit`. Blocking work
/// (a resolver call, a libcurl session, a query on a connection that died unnoticed) cannot be interrupted: it finishes in the
/// background with its own timeouts, and nobody waits for it.
func withTimeLimit<Value: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> Value) async -> Value? {
    let first = FirstResult<Value?>()
    return await withCheckedContinuation { continuation in
        first.set(continuation)
        let timer = Task {
            // Cancelled: the operation finished first and answered.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            first.resume(returning: nil)
        }
        Task {
            let value = await operation()
            first.resume(returning: value)
            timer.cancel()
        }
    }
}

/// A continuation resumed by whichever of several racers comes first.
private final class FirstResult<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(returning value: Value) {
        self.continuation.withLock { stored in
            let waiting = stored
            stored = nil
            return waiting
        }?.resume(returning: value)
    }
}
