import Dispatch
import Logging
import MailgateStore
import ServiceLifecycle
import Synchronization

/// Whether PostgreSQL answers, probed every second with `SELECT 1` and a 3 s timeout on
/// a connection of its own (a one-connection pool beside the application's), so a pool
/// busy with calls cannot make the database look down; two failures in a row mark it
/// unreachable, one success reachable again. A probe that failed anyway does not count
/// when database-backed calls completed meanwhile: the database is answering.
///
/// While it does not, database-backed calls are refused at once with UNAVAILABLE (and a
/// retry hint) instead of waiting for a pool connection until their deadline; calls that
/// need no database (cached keys, Health) keep working.
public final class DatabaseHealth: Service, Sendable {
    /// `SELECT 1` on a connection of its own.
    private let probe: DatabaseProbe
    private let interval: Duration
    private let timeout: Duration
    private let logger: Logger
    private let available = Atomic<Bool>(true)
    /// When the running probe query started (uptime nanoseconds; 0 = none). One still
    /// running at the next probe counts as a miss; after two timeouts it is given up on, so
    /// a query the pool never answers cannot keep the verdict down for good.
    private let probingSince = Atomic<UInt64>(0)
    /// Bumped by every database-backed call that succeeds or that the server itself refuses.
    private let completedCalls = Atomic<Int>(0)

    /// Probes with `probe` (see `Database.makeProbe`).
    public init(probe: DatabaseProbe, interval: Duration = .seconds(1), timeout: Duration = .seconds(3), logger: Logger)
    {
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// The last probe's verdict (true before the first).
    public var isAvailable: Bool { self.available.load(ordering: .relaxed) }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.probe.run() }
            await self.probeUntilShutdown()
            group.cancelAll()
        }
    }

    private func probeUntilShutdown() async {
        // The probe's pool starts alongside; a query before it runs would only be warned about.
        guard (try? await self.probe.waitUntilRunning()) != nil else { return }
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Two failed probes in a row make an outage: one slow answer on a busy machine does not.
            let completedBefore = self.completedCalls.load(ordering: .relaxed)
            let probed = await self.probe()
            let callsCompleted = self.completedCalls.load(ordering: .relaxed) != completedBefore
            failures = probed || callsCompleted ? 0 : failures + 1
            let answered = failures < 2
            let was = self.available.exchange(answered, ordering: .relaxed)
            if was != answered {
                if answered {
                    self.logger.notice("database reachable again")
                } else {
                    self.logger.error("database unreachable: refusing database-backed calls with UNAVAILABLE")
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// Runs `body` if the database is reachable; UNAVAILABLE at once otherwise.
    func guarding<Result>(_ body: () async throws -> Result) async throws -> Result {
        guard self.isAvailable else { throw StoreError.databaseUnavailable() }
        do {
            let result = try await body()
            self.completedCalls.add(1, ordering: .relaxed)
            return result
        } catch {
            // A refusal from the server itself (a constraint, a conflict) proves it answers.
            if StoreError.isAnswerFromDatabase(error) {
                self.completedCalls.add(1, ordering: .relaxed)
            }
            throw StoreError.classifying(error)
        }
    }

    /// `SELECT 1` within the timeout. The query runs unstructured: a lease the pool never
    /// grants must not hold the health loop (and with it a graceful shutdown) forever.
    private func probe() async -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        let running = self.probingSince.load(ordering: .relaxed)
        if running != 0, now - running < 2 * UInt64(self.timeout / .nanoseconds(1)) { return false }
        self.probingSince.store(now, ordering: .relaxed)
        let probe = self.probe
        let query = Task {
            // Only this probe's own mark is cleared: a newer probe may have replaced it.
            defer { _ = self.probingSince.compareExchange(expected: now, desired: 0, ordering: .relaxed) }
            do {
                try await probe.ping()
                return true
            } catch {
                return false
            }
        }
        let answered = await withTimeLimit(self.timeout) { await query.value } ?? false
        query.cancel()
        return answered
    }
}
