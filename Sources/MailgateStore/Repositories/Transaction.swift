import Logging
import PostgresNIO
import Tracing

extension PostgresClient {
    /// Runs `body` in a transaction, like `withTransaction`, but rethrows the body's own
    /// error (a `StoreError`, a validation error, a unique violation) instead of
    /// postgres-nio's wrapper, so callers can tell what went wrong. The transaction is a
    /// `db.transaction` client span (only under a span: see `isTraced`); the queries in it are
    /// not traced one by one.
    func transaction<Result: Sendable>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let span = Self.isTraced ? startSpan("db.transaction", ofKind: .client) : nil
        span?.attributes["db.system.name"] = "postgresql"
        let usage = DatabaseUsage.of(self)
        let started = usage?.begin()
        var failed = false
        defer {
            span?.end()
            if let usage, let started { usage.end("transaction", since: started, failed: failed) }
        }
        do {
            return try await self.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            failed = true
            let underlying = error.closureError ?? error.beginError ?? error.commitError ?? error
            span?.recordError(underlying)
            throw underlying
        } catch {
            failed = true
            span?.recordError(error)
            throw error
        }
    }

    /// Whether database work here gets spans: only inside another span (a call, a token request,
    /// an SMTP send, a batch). The queue's polls, heartbeats and scans that run on their own
    /// would otherwise each start a trace of one span, many a second, drowning the ones that
    /// tell a story.
    static var isTraced: Bool { ServiceContext.current.map { !$0.isEmpty } ?? false }

    /// `query`, as a `db.query` client span carrying the statement (bind parameters, never
    /// values), measured by the client's `DatabaseUsage`. postgres-nio returns the connection
    /// once the rows are read, so the time measured is that of the statement, not the reading.
    @discardableResult
    func tracedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.traced(query.sql) { try await self.query(query, logger: logger) }
    }

    /// `execute` of a named prepared statement, traced and measured like `tracedQuery`; the rows
    /// are read before the span ends.
    func tracedExecute<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row] where Statement.Row: Sendable
    {
        try await self.traced(Statement.sql) {
            var rows: [Statement.Row] = []
            for try await row in try await self.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }

    /// Runs `body` as a `db.query` client span carrying `sql`, measured by the client's `DatabaseUsage`.
    private func traced<Result>(_ sql: String, _ body: () async throws -> Result) async throws -> Result {
        guard Self.isTraced else { return try await self.measured(body) }
        return try await withSpan("db.query", ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            span.attributes["db.operation.name"] = String(sql.drop { $0.isWhitespace }.prefix { !$0.isWhitespace })
                .uppercased()
            span.attributes["db.query.text"] = sql
            return try await self.measured(body)
        }
    }

    /// Runs `body`, measured by the client's `DatabaseUsage` as one query.
    private func measured<Result>(_ body: () async throws -> Result) async throws -> Result {
        let usage = DatabaseUsage.of(self)
        let started = usage?.begin()
        do {
            let result = try await body()
            if let usage, let started { usage.end("query", since: started, failed: false) }
            return result
        } catch {
            if let usage, let started { usage.end("query", since: started, failed: true) }
            throw error
        }
    }
}
