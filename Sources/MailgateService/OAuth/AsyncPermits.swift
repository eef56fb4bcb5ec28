/// A counting semaphore for tasks: at most `count` holders at once, the rest wait in order.
actor AsyncPermits {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        self.available = count
    }

    func acquire() async {
        if self.available > 0 {
            self.available -= 1
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    func release() {
        if self.waiters.isEmpty {
            self.available += 1
        } else {
            self.waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding a permit.
    func withPermit<Value: Sendable>(_ body: @Sendable () async throws -> Value) async throws -> Value {
        await self.acquire()
        do {
            let value = try await body()
            self.release()
            return value
        } catch {
            self.release()
            throw error
        }
    }
}
