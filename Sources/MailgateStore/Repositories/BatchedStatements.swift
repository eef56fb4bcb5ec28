import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs a statement ending in `RETURNING 1` and counts the rows it changed.
    func changedRows(_ statement: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.tracedQuery(statement, logger: logger) { count += 1 }
        return count
    }

    /// Runs `statement` (one batch of at most `batch` rows, `RETURNING 1`) again and again
    /// until a run changes fewer than `batch` rows or `maximumBatches` ran; each run is its
    /// own transaction, so none holds locks for long. Returns the rows changed in all.
    func inBatches(of batch: Int, maximumBatches: Int, logger: Logger, _ statement: PostgresQuery) async throws
        -> Int
    {
        var total = 0
        for _ in 0..<maximumBatches {
            let count = try await self.changedRows(statement, logger: logger)
            total += count
            if count < batch { break }
        }
        return total
    }
}
