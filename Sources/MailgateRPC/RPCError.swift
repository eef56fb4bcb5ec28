import MailgateProto

/// A failed call: what the client receives as its `Status`.
///
/// The message is for people and must never carry secrets or server internals;
/// `reason` is a stable machine-readable cause such as `CLIENT_SECRET_EXPIRED`.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One invalid request field.
    public struct FieldViolation: Hashable, Sendable {
        public var field: String
        public var description: String

        public init(field: String, description: String) {
            self.field = field
            self.description = description
        }
    }

    public var code: StatusCode
    public var message: String
    public var reason: String
    public var fieldViolations: [FieldViolation]
    /// The earliest the client should retry, in milliseconds; 0 when not given.
    public var retryAfterMilliseconds: UInt64

    public init(
        code: StatusCode,
        message: String,
        reason: String = "",
        fieldViolations: [FieldViolation] = [],
        retryAfterMilliseconds: UInt64 = 0
    ) {
        self.code = code
        self.message = message
        self.reason = reason
        self.fieldViolations = fieldViolations
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String {
        var text = "\(self.code) (\(self.code.rawValue)): \(self.message)"
        if !self.reason.isEmpty { text += " [\(self.reason)]" }
        for violation in self.fieldViolations { text += "; \(violation.field): \(violation.description)" }
        return text
    }
}

extension RPCError {
    /// The wire form of this error.
    public var status: Mailgate_V1_Status {
        var status = Mailgate_V1_Status()
        status.code = self.code.wire
        status.message = self.message
        status.reason = self.reason
        status.retryAfterMs = self.retryAfterMilliseconds
        status.fieldViolations = self.fieldViolations.map { violation in
            var wire = Mailgate_V1_FieldViolation()
            wire.field = violation.field
            wire.description_p = violation.description
            return wire
        }
        return status
    }

    /// Reads an error from a non-OK wire status.
    public init(status: Mailgate_V1_Status) {
        self.init(
            code: StatusCode(status.code),
            message: status.message,
            reason: status.reason,
            fieldViolations: status.fieldViolations.map {
                FieldViolation(field: $0.field, description: $0.description_p)
            },
            retryAfterMilliseconds: status.retryAfterMs
        )
    }

    /// Turns any error into the status a client may see. Errors that do not choose
    /// their own status become INTERNAL with a generic message, so that nothing
    /// internal (SQL, file paths, secrets) ever reaches a client.
    public init(converting error: any Error) {
        switch error {
        case let error as RPCError:
            self = error
        case let error as any RPCErrorConvertible:
            self = error.rpcError
        case is CancellationError:
            self.init(code: .cancelled, message: "The call was cancelled.")
        default:
            self.init(code: .internal, message: "Internal error.")
        }
    }
}

/// A domain error that knows which status it is on the wire, so the mapping lives
/// with the error and not in every handler.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension Mailgate_V1_Status {
    /// The OK status.
    public static var ok: Mailgate_V1_Status {
        var status = Mailgate_V1_Status()
        status.code = .ok
        return status
    }
}
