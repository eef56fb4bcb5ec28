import MailgateCore
import MailgateProto
import MailgateRPC

/// Why authentication or authorization failed: each a distinct reason, none revealing
/// whether a key id exists.
public enum AuthenticationFailure {
    public static let missingCredentials = RPCError(
        code: .unauthenticated,
        message: "This method needs an API key: send metadata \"authorization: Bearer mgk_…\".",
        reason: "MISSING_CREDENTIALS"
    )
    public static let malformedKey = RPCError(
        code: .unauthenticated,
        message: "The API key is not of the form mgk_<id>_<secret>.",
        reason: "MALFORMED_API_KEY"
    )
    public static let unknownKey = RPCError(
        code: .unauthenticated,
        message: "The API key is not valid.",
        reason: "INVALID_API_KEY"
    )
    public static let tenantDisabled = RPCError(
        code: .permissionDenied,
        message: "The key's tenant is disabled.",
        reason: "TENANT_DISABLED"
    )
    public static let operatorKeyRequired = RPCError(
        code: .permissionDenied,
        message: "This method needs an operator key; tenant keys may only read their own tenant.",
        reason: "OPERATOR_KEY_REQUIRED"
    )
    public static let tenantOverrideNotAllowed = RPCError(
        code: .permissionDenied,
        message: "Only operator keys may name another tenant in the \"tenant\" metadata.",
        reason: "TENANT_OVERRIDE_NOT_ALLOWED"
    )

    /// The presented key of an `authorization: Bearer …` entry.
    public static func parseKey(_ metadata: [String: String]) throws(RPCError) -> APIKey {
        guard let token = metadata.bearerToken else { throw missingCredentials }
        guard let key = APIKey(parsing: token) else { throw malformedKey }
        return key
    }
}
