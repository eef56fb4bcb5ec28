import MailgateCore
import MailgateProto
import MailgateRPC

/// Authenticates calls against the operator key given in configuration
/// (`MAILGATE_BOOTSTRAP_OPERATOR_KEY`). Keys stored in the database come with the
/// tenants issue; this is the seam they plug into.
public struct BootstrapKeyAuthenticator: CallAuthenticator {
    private let operatorKeyID: String?
    private let operatorSecretHash: [UInt8]

    public init(operatorKey: APIKey?) {
        self.operatorKeyID = operatorKey?.id
        self.operatorSecretHash = operatorKey?.secretHash ?? []
    }

    public func authenticate(metadata: [String: String], method: String) async throws -> Principal {
        let presented = try AuthenticationFailure.parseKey(metadata)
        // The hash is compared even when the id differs, so timing says nothing about either.
        let secretMatches = presented.matches(storedHash: self.operatorSecretHash)
        guard let operatorKeyID = self.operatorKeyID, presented.id == operatorKeyID, secretMatches else {
            throw AuthenticationFailure.unknownKey
        }
        return Principal(keyID: presented.id, scope: .operator_)
    }
}

/// Why authentication failed: each a distinct UNAUTHENTICATED reason, none revealing
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

    /// The presented key of an `authorization: Bearer …` entry.
    public static func parseKey(_ metadata: [String: String]) throws(RPCError) -> APIKey {
        guard let token = metadata.bearerToken else { throw missingCredentials }
        guard let key = APIKey(parsing: token) else { throw malformedKey }
        return key
    }
}
