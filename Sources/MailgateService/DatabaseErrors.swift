import MailgateProto
import MailgateRPC
import PostgresNIO

/// Maps database failures to the status a client can act on: a lost or unreachable
/// database is UNAVAILABLE (retry shortly, e.g. while PostgreSQL restarts), a
/// serialization failure or deadlock ABORTED (retry the call); anything else stays as it
/// is, which the dispatcher answers as INTERNAL without details.
enum DatabaseErrors {
    static let unavailable = RPCError(
        code: .unavailable,
        message: "The database is unavailable; retry shortly.",
        reason: "DATABASE_UNAVAILABLE",
        retryAfterMilliseconds: 1000
    )

    static func map(_ error: any Error) -> any Error {
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                if state == "40001" || state == "40P01" {
                    return RPCError(
                        code: .aborted,
                        message: "The change collided with another; retry it.",
                        reason: "CONCURRENT_UPDATE"
                    )
                }
                // 08: connection exceptions, 53: insufficient resources, 57: operator intervention (shutdown).
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") { return Self.unavailable }
                return error
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown:
                return Self.unavailable
            default:
                return error
            }
        }
        // The pool's own errors (connection creation failing, circuit breaker open) have no public type.
        if String(reflecting: type(of: error)).contains("ConnectionPoolError") { return Self.unavailable }
        return error
    }

    /// Whether `error` (as `map` returned it) says the database could not be reached.
    static func isUnavailable(_ error: any Error) -> Bool {
        (error as? RPCError)?.reason == Self.unavailable.reason
    }

    /// Runs `body`, mapping database failures with `map`.
    static func mapping<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw Self.map(error)
        }
    }
}
