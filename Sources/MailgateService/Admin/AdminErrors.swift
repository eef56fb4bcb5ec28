import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension StoreError: RPCErrorConvertible {
    /// The status a client sees: the message is written to be safe to show.
    public var rpcError: RPCError {
        switch self.code {
        case .notFound: RPCError(code: .notFound, message: self.message)
        case .alreadyExists: RPCError(code: .alreadyExists, message: self.message)
        case .versionMismatch: RPCError(code: .aborted, message: self.message, reason: "VERSION_MISMATCH")
        case .secretUnreadable: RPCError(code: .failedPrecondition, message: self.message, reason: "SECRET_UNREADABLE")
        case .invalidState: RPCError(code: .failedPrecondition, message: self.message, reason: "INVALID_STATE")
        case .unavailable:
            RPCError(
                code: .unavailable,
                message: "The database is unavailable; retry shortly.",
                reason: "DATABASE_UNAVAILABLE",
                retryAfterMilliseconds: 1000
            )
        case .concurrentUpdate:
            RPCError(
                code: .aborted,
                message: "The change collided with another; retry it.",
                reason: "CONCURRENT_UPDATE"
            )
        default: RPCError(code: .internal, message: "Internal error.")
        }
    }
}

extension ValidationError: RPCErrorConvertible {
    public var rpcError: RPCError {
        RPCError(
            code: .invalidArgument,
            message: self.summary,
            reason: "INVALID_FIELDS",
            fieldViolations: self.violations.map {
                RPCError.FieldViolation(field: $0.field, description: $0.description)
            }
        )
    }
}

/// Page tokens: opaque to clients, the last row's sort key inside.
enum PageToken {
    static func encode(_ value: String) -> String {
        Data(value.utf8).base64EncodedString()
    }

    static func decode(_ token: String) throws(RPCError) -> String? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let value = String(data: data, encoding: .utf8) else {
            throw RPCError(
                code: .invalidArgument,
                message: "The page token is not one this server issued.",
                fieldViolations: [.init(field: "page_token", description: "is not valid")]
            )
        }
        return value
    }

    /// The first `limit` rows of a query that asked for `limit + 1`, and the token of the
    /// next page: the last returned row's key, or empty when nothing follows.
    static func split<Row>(_ rows: [Row], limit: Int, key: (Row) -> String) -> (rows: ArraySlice<Row>, next: String) {
        let page = rows.prefix(limit)
        guard rows.count > limit, let last = page.last else { return (page, "") }
        return (page, self.encode(key(last)))
    }

    /// The page size to use: 50 when not given, at most 500.
    static func pageSize(_ requested: UInt32) -> Int {
        requested == 0 ? 50 : Int(min(requested, 500))
    }
}
