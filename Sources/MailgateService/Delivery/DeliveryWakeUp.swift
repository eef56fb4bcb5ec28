import Synchronization

/// Wakes idle delivery workers when mail is queued: at once in this replica, and in
/// the others through PostgreSQL `NOTIFY` (at most one every `notifyCoalescing`, so a
/// burst of SendMail calls costs one notification, not one per message).
public final class DeliveryWakeUp: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var abandoned: Set<Int> = []
        var nextID = 0
        var rungWhileNobodyWaited = false
        var notifyScheduled = false
    }

    private let state = Mutex(State())
    private let notifyOthers: @Sendable () async -> Void
    private let notifyCoalescing: Duration

    /// `notifyOthers` tells the other replicas (e.g. `NOTIFY mailgate_messages`).
    public init(notifyCoalescing: Duration = .milliseconds(20), notifyOthers: @escaping @Sendable () async -> Void) {
        self.notifyCoalescing = notifyCoalescing
        self.notifyOthers = notifyOthers
    }

    /// A message became due: wake local workers and, shortly, the other replicas.
    public func messageQueued() {
        self.ring()
        let shouldSchedule = self.state.withLock { state in
            defer { state.notifyScheduled = true }
            return !state.notifyScheduled
        }
        guard shouldSchedule else { return }
        Task {
            try? await Task.sleep(for: self.notifyCoalescing)
            self.state.withLock { $0.notifyScheduled = false }
            await self.notifyOthers()
        }
    }

    /// Wakes every waiting worker; if none waits, the next `wait` returns at once.
    public func ring() {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.rungWhileNobodyWaited = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when rung, after `timeout`, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.abandoned.remove(id) != nil { return true }
                        if state.rungWhileNobodyWaited {
                            state.rungWhileNobodyWaited = false
                            return true
                        }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.abandon(id)
            }
            await group.next()
            group.cancelAll()
        }
        self.state.withLock { _ = $0.abandoned.remove(id) }
    }

    private func abandon(_ id: Int) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.abandoned.insert(id)
            return nil
        }
        waiter?.resume()
    }
}
