/// Why an access token could not be obtained: the `reason` a RefreshToken caller,
/// an event reader and a deferred message see.
public enum TokenFailureReason: String, Sendable, Hashable, CaseIterable {
    /// Microsoft AADSTS7000222: the client secret has expired. Create a new one.
    case clientSecretExpired = "CLIENT_SECRET_EXPIRED"
    /// Microsoft AADSTS7000215 or another `invalid_client`: the secret is wrong.
    case clientSecretInvalid = "CLIENT_SECRET_INVALID"
    /// Microsoft AADSTS700016: no application with this client id in the directory.
    case clientIDUnknown = "CLIENT_ID_UNKNOWN"
    /// Microsoft AADSTS90002: the directory (tenant) id does not exist.
    case directoryNotFound = "DIRECTORY_NOT_FOUND"
    /// `invalid_grant` twice, or no refresh token: someone must consent again.
    case consentRequired = "CONSENT_REQUIRED"
    /// A consent's code was redeemed but no refresh token came with it.
    case noRefreshToken = "NO_REFRESH_TOKEN"
    /// `invalid_scope`: the scopes are wrong for this flow or not granted.
    case scopeInvalid = "SCOPE_INVALID"
    /// No answer, HTTP 5xx, or a transient AADSTS code: retried with backoff.
    case endpointUnavailable = "TOKEN_ENDPOINT_UNAVAILABLE"
    /// Another refusal (`unauthorized_client`, `invalid_request`, …): the server's OAuth settings need fixing.
    case requestRejected = "TOKEN_REQUEST_REJECTED"
    /// Settings or secrets the flow needs are missing (client id, client secret, token URL).
    case notConfigured = "OAUTH_NOT_CONFIGURED"
    /// The consent was given by another account than the server's mailbox.
    case accountMismatch = "ACCOUNT_MISMATCH"

    /// Whether waiting helps; the others need an operator.
    public var isTransient: Bool { self == .endpointUnavailable }

    /// What the operator should do, in one sentence.
    public var remedy: String {
        switch self {
        case .clientSecretExpired:
            "Create a new client secret for the app registration and store it with `mailgate server put NAME --client-secret-file FILE`."
        case .clientSecretInvalid:
            "The client secret is wrong (use the secret's value, not its id); store the right one with `mailgate server put NAME --client-secret-file FILE`."
        case .clientIDUnknown:
            "No application with this client id exists in the directory: check the client id and the directory (tenant) id."
        case .directoryNotFound:
            "The directory (tenant) id is wrong: copy it from the app registration's overview page."
        case .consentRequired:
            "The refresh token is no longer accepted (revoked, expired or consent withdrawn): run `mailgate server authorize NAME` to consent again."
        case .noRefreshToken:
            "Ask for offline access: Microsoft needs the `offline_access` scope; Google needs access_type=offline and prompt=consent (Mailgate adds both). Then run `mailgate server authorize NAME` again."
        case .scopeInvalid:
            "The scopes are not valid for this flow: client credentials need `https://outlook.office365.com/.default`; delegated Microsoft needs `https://outlook.office.com/SMTP.Send offline_access`."
        case .endpointUnavailable:
            "The token endpoint could not be reached or failed; Mailgate retries with backoff and mail waits."
        case .requestRejected:
            "The token endpoint refused the request: check the server's OAuth settings (flow, client id, token URL)."
        case .notConfigured:
            "Complete the server's OAuth settings with `mailgate server put`."
        case .accountMismatch:
            "Consent again, signed in as the server's mailbox (its username, or its sender address) or an account of its organisation that may send for it (a shared mailbox's delegate)."
        }
    }
}
