import Logging
import PostgresNIO
import Tracing

extension PostgresClient {
    /// Runs `body` in a transaction, like `withTransaction`, but rethrows the body's own
    /// error (a `StoreError`, a validation error, a unique violation) instead of
    /// postgres-nio's wrapper, so callers can tell what went wrong. The transaction is a
    /// `db.transaction` client span; the queries in it are not traced one by one.
    func transaction<Result: Sendable>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let span = startSpan("db.transaction", ofKind: .client)
        span.attributes["db.system.name"] = "postgresql"
        defer { span.end() }
        do {
            return try await self.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            let underlying = error.closureError ?? error.beginError ?? error.commitError ?? error
            span.recordError(underlying)
            throw underlying
        } catch {
            span.recordError(error)
            throw error
        }
    }

    /// `query`, as a `db.query` client span carrying the statement (bind parameters, never values).
    func tracedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await withSpan("db.query", ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            span.attributes["db.operation.name"] = String(query.sql.drop { $0.isWhitespace }.prefix { !$0.isWhitespace }).uppercased()
            span.attributes["db.query.text"] = query.sql
            return try await self.query(query, logger: logger)
        }
    }
}
