import MailgateCore
import MailgateProto
import MailgateRPC

/// Why authentication or authorization failed: each a distinct reason, none revealing
/// whether a key id exists. Its status is chosen here, once (`rpcError`).
public struct AuthenticationFailure: Error, Sendable, Hashable, RPCErrorConvertible {
    private enum Kind: Hashable, Sendable {
        case missingCredentials, malformedKey, unknownKey, tenantDisabled, operatorKeyRequired
        case tenantOverrideNotAllowed
        case rateLimited(retryAfterMilliseconds: UInt64)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// No `authorization: Bearer …` metadata.
    public static let missingCredentials = AuthenticationFailure(.missingCredentials)
    /// The bearer token is not of the form `mgk_<id>_<secret>`.
    public static let malformedKey = AuthenticationFailure(.malformedKey)
    /// No such key, a wrong secret, or a revoked key: deliberately indistinguishable.
    public static let unknownKey = AuthenticationFailure(.unknownKey)
    /// The key's tenant is disabled.
    public static let tenantDisabled = AuthenticationFailure(.tenantDisabled)
    /// A tenant key called a method only operators may call.
    public static let operatorKeyRequired = AuthenticationFailure(.operatorKeyRequired)
    /// A tenant key named another tenant in the `tenant` metadata.
    public static let tenantOverrideNotAllowed = AuthenticationFailure(.tenantOverrideNotAllowed)

    public var rpcError: RPCError {
        switch self.kind {
        case .missingCredentials:
            RPCError(
                code: .unauthenticated,
                message: "This method needs an API key: send metadata \"authorization: Bearer mgk_…\".",
                reason: "MISSING_CREDENTIALS"
            )
        case .malformedKey:
            RPCError(
                code: .unauthenticated,
                message: "The API key is not of the form mgk_<id>_<secret>.",
                reason: "MALFORMED_API_KEY"
            )
        case .unknownKey:
            RPCError(code: .unauthenticated, message: "The API key is not valid.", reason: "INVALID_API_KEY")
        case .tenantDisabled:
            RPCError(code: .permissionDenied, message: "The key's tenant is disabled.", reason: "TENANT_DISABLED")
        case .operatorKeyRequired:
            RPCError(
                code: .permissionDenied,
                message: "This method needs an operator key; tenant keys may only read their own tenant.",
                reason: "OPERATOR_KEY_REQUIRED"
            )
        case .tenantOverrideNotAllowed:
            RPCError(
                code: .permissionDenied,
                message: "Only operator keys may name another tenant in the \"tenant\" metadata.",
                reason: "TENANT_OVERRIDE_NOT_ALLOWED"
            )
        case .rateLimited(let milliseconds):
            RPCError(
                code: .resourceExhausted,
                message:
                    "Too many failed authentications from this address; try again in \((milliseconds + 999) / 1000) s.",
                reason: "AUTHENTICATION_RATE_LIMITED",
                retryAfterMilliseconds: milliseconds
            )
        }
    }

    /// Too many failed authentications came from the caller's address lately: it may try again
    /// after `retryAfter`. Keys this replica knows to be valid are still accepted meanwhile.
    public static func rateLimited(retryAfter: Duration) -> AuthenticationFailure {
        let milliseconds =
            retryAfter.components.seconds * 1000 + retryAfter.components.attoseconds / 1_000_000_000_000_000
        return AuthenticationFailure(.rateLimited(retryAfterMilliseconds: UInt64(max(milliseconds, 1))))
    }

    /// The presented key of an `authorization: Bearer …` entry.
    public static func parseKey(_ metadata: [String: String]) throws(AuthenticationFailure) -> APIKey {
        guard let token = metadata.bearerToken else { throw missingCredentials }
        guard let key = APIKey(parsing: token) else { throw malformedKey }
        return key
    }
}
