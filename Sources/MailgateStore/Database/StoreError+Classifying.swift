import PostgresNIO
import _ConnectionPoolModule

extension StoreError {
    /// `error` in the store's own terms, so callers above the store never see PostgresNIO:
    ///
    /// - a lost or unreachable database (connection errors, a pool that cannot connect or is
    ///   closed, SQLSTATE classes 08, 53 and 57) is `.unavailable`: retry shortly;
    /// - a serialization failure or deadlock (40001, 40P01) is `.concurrentUpdate`: retry the work;
    /// - a `StoreError`, and anything else, stays as it is (callers answer it as internal).
    public static func classifying(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                if state == "40001" || state == "40P01" {
                    return StoreError(
                        .concurrentUpdate,
                        "The change collided with another; retry it.",
                        underlying: error
                    )
                }
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") {
                    return StoreError.databaseUnavailable(underlying: error)
                }
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
                return StoreError.databaseUnavailable(underlying: error)
            default:
                break
            }
            return error
        }
        // The pool's own failures: it could not connect (its circuit breaker tripped) or it stopped.
        if let error = error as? ConnectionPoolError {
            return StoreError.databaseUnavailable(underlying: error)
        }
        return error
    }

    /// Whether `error` is the database server's own refusal (a constraint, a conflict, a
    /// serialization failure): an answer, so proof that the database is reachable.
    public static func isAnswerFromDatabase(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        let state = error.serverInfo?[.sqlState] ?? ""
        return !(state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57"))
    }

    /// The database cannot be reached (or refuses work while it shuts down or runs out of resources).
    public static func databaseUnavailable(underlying: (any Error & Sendable)? = nil) -> StoreError {
        StoreError(.unavailable, "The database is unavailable; retry shortly.", underlying: underlying)
    }
}
