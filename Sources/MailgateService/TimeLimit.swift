import MailgateStore
import Synchronization

/// The value of `operation`, or nil when it takes longer than `limit`; the operation is
/// then cancelled. Work that cannot be interrupted once started (a resolver call, a
/// libcurl session, a query on a connection that died unnoticed) finishes in the
/// background with its own timeouts, and nobody waits for it; work not yet started on a
/// thread pool is dropped.
func withTimeLimit<Value: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> Value) async
    -> Value?
{
    await withTimeLimit(limit, stopping: nil, grace: .zero, operation)
}

/// As `withTimeLimit(_:_:)`, and once `stopping` opens (the service stops) the operation
/// has at most `grace` more: for work whose abandonment costs only a wait (a claim whose
/// lease runs out), which must not hold a stop up for its whole limit.
func withTimeLimit<Value: Sendable>(
    _ limit: Duration,
    stopping: Latch?,
    grace: Duration,
    _ operation: @escaping @Sendable () async -> Value
) async -> Value? {
    let race = Race<Value?>()
    return await withCheckedContinuation { continuation in
        race.start(continuation)
        let work = Task {
            let value = await operation()
            race.finish(with: value)
        }
        let timer = Task {
            // Cancelled: the operation finished first and answered.
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            if race.finish(with: nil) { work.cancel() }
        }
        let stop = stopping.map { stopping in
            Task {
                guard (try? await stopping.wait()) != nil, (try? await Task.sleep(for: grace)) != nil else { return }
                if race.finish(with: nil) { work.cancel() }
            }
        }
        race.onFinish {
            timer.cancel()
            stop?.cancel()
        }
    }
}

/// The value of a throwing `operation`, or its error; `TimeLimitExceeded` when it takes
/// longer than `limit` (it is then cancelled, as above).
func withTimeLimit<Value: Sendable>(
    _ limit: Duration,
    stopping: Latch? = nil,
    grace: Duration = .zero,
    throwing operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let outcome = await withTimeLimit(limit, stopping: stopping, grace: grace) { () -> Result<Value, any Error> in
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }
    guard let outcome else { throw TimeLimitExceeded(limit: limit) }
    return try outcome.get()
}

/// An operation that did not finish within its time limit.
struct TimeLimitExceeded: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "did not finish within \(self.limit)" }
}

/// A continuation resumed by whichever racer comes first.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        var finished = false
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Value, Never>) {
        self.state.withLock { $0.continuation = continuation }
    }

    /// Runs `action` once the race is decided (at once if it already is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let decided = self.state.withLock { state in
            if state.finished { return true }
            state.onFinish = action
            return false
        }
        if decided { action() }
    }

    /// Answers with `value` if nobody answered yet; returns whether this call did.
    @discardableResult
    func finish(with value: Value) -> Bool {
        let (continuation, action) = self.state.withLock {
            state -> (CheckedContinuation<Value, Never>?, (@Sendable () -> Void)?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            defer { state.continuation = nil; state.onFinish = nil }
            return (state.continuation, state.onFinish)
        }
        guard let continuation else { return false }
        continuation.resume(returning: value)
        action?()
        return true
    }
}
