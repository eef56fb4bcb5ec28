import Foundation
import MailgateStore
import Synchronization

/// The output servers SendMail composes with, remembered for a moment so that a busy
/// tenant does not read the same row for every message. A change by PutServer is seen
/// within `ttl`; delivery always reads the server afresh.
final class ServerLookupCache: Sendable {
    private struct Entry {
        var server: ServerRecord
        var fetchedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Duration
    private let capacity: Int

    init(ttl: Duration = .seconds(1), capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The cached server for `idOrName` ("" = the default) in the tenant, or what `load` returns.
    func server(tenantID: UUID, idOrName: String, load: () async throws -> ServerRecord?) async throws -> ServerRecord?
    {
        let key = "\(tenantID.uuidString)/\(idOrName)"
        let now = ContinuousClock.now
        if let entry = self.entries.withLock({ $0[key] }), now - entry.fetchedAt < self.ttl {
            return entry.server
        }
        guard let server = try await load() else {
            self.entries.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        self.entries.withLock { entries in
            if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(server: server, fetchedAt: now)
        }
        return server
    }
}
