import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in a transaction, like `withTransaction`, but rethrows the body's own
    /// error (a `StoreError`, a validation error, a unique violation) instead of
    /// postgres-nio's wrapper, so callers can tell what went wrong.
    func transaction<Result: Sendable>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        do {
            return try await self.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }
}
