import Foundation
import MailgateCore
import PostgresNIO

extension ServerRepository {
    /// One server of a batch put: its name and how to prepare it from the current row,
    /// exactly as `put` does.
    public struct BatchItem: Sendable {
        public var name: String
        public var prepare: @Sendable (ServerRecord?) throws -> (ServerDefinition, SecretChanges)
        /// Set when the item is known to be invalid before any lookup (no usable name, say):
        /// it is refused with this error without touching the database.
        public var refusal: (any Error & Sendable)?

        public init(
            name: String,
            prepare: @escaping @Sendable (ServerRecord?) throws -> (ServerDefinition, SecretChanges)
        ) {
            self.name = name
            self.prepare = prepare
        }

        public init(refusing error: any Error & Sendable) {
            self.name = ""
            self.prepare = { _ in throw error }
            self.refusal = error
        }
    }

    /// What happened to one item: its put's outcome, or the error its `prepare` threw.
    public enum BatchResult: Sendable {
        case put(PutOutcome)
        case refused(any Error)
    }

    /// Puts every item in one transaction under the tenant lock, in order, so later items
    /// see earlier ones (a default moved by row 2 is moved when row 5 is prepared).
    ///
    /// An item whose `prepare` throws is refused and writes nothing. The transaction then
    /// commits only when `partial` is set; without it, one refused item rolls everything
    /// back. `dryRun` always rolls back, after reporting what each item would do. A
    /// database failure aborts the whole batch and is thrown.
    public func putAll(
        tenantID: UUID,
        items: [BatchItem],
        partial: Bool,
        dryRun: Bool,
        actor: String,
        now: Date = Date()
    ) async throws -> (results: [BatchResult], applied: Bool) {
        do {
            let results = try await self.client.transaction(logger: self.logger) { connection in
                try await self.lockTenant(tenantID, on: connection)
                var results: [BatchResult] = []
                for item in items {
                    if let refusal = item.refusal {
                        results.append(.refused(refusal))
                        continue
                    }
                    // `prepare` runs before anything of the item is written, so a refusal needs no savepoint.
                    var refusal: (any Error)?
                    let prepare: (ServerRecord?) throws -> (ServerDefinition, SecretChanges) = { existing in
                        do {
                            return try item.prepare(existing)
                        } catch {
                            refusal = error
                            throw error
                        }
                    }
                    do {
                        let outcome = try await self.putLocked(
                            tenantID: tenantID,
                            name: item.name,
                            expectedVersion: nil,
                            actor: actor,
                            now: now,
                            prepare: prepare,
                            on: connection
                        )
                        results.append(.put(outcome))
                    } catch {
                        guard let refusal else { throw error }
                        results.append(.refused(refusal))
                    }
                }
                let refused = results.contains { if case .refused = $0 { true } else { false } }
                if dryRun || (refused && !partial) { throw RolledBack(results: results) }
                return results
            }
            return (results, true)
        } catch let rollback as RolledBack {
            return (rollback.results, false)
        }
    }
}

/// Ends a batch's transaction with a rollback, carrying what each item did or would do.
private struct RolledBack: Error {
    let results: [ServerRepository.BatchResult]
}
