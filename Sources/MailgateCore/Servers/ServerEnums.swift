/// How the SMTP connection is protected.
public enum ConnectionSecurity: String, Sendable, Hashable, CaseIterable {
    /// Plaintext (port 25 relays inside a network).
    case none
    /// Plaintext greeting, then STARTTLS (usually port 587).
    case starttls
    /// TLS from the first byte (usually port 465).
    case tls
    /// STARTTLS if the server offers it, plaintext if not: relays without authentication only.
    case opportunistic

    public var defaultPort: Int {
        switch self {
        case .none, .opportunistic: 25
        case .starttls: 587
        case .tls: 465
        }
    }
}

/// How Mailgate authenticates to the SMTP server.
public enum AuthenticationType: String, Sendable, Hashable, CaseIterable {
    case none
    case basic
    case oauth2
}

/// Who issues the OAuth tokens.
public enum OAuthProviderKind: String, Sendable, Hashable, CaseIterable {
    case microsoft
    case google
    case generic
}

/// How tokens are obtained.
public enum OAuthGrantFlow: String, Sendable, Hashable, CaseIterable {
    /// Consent once, then refresh tokens (delegated).
    case authorizationCode = "authorization_code"
    /// App-only (Microsoft `SMTP.SendAsApp`): client id + secret, no refresh token.
    case clientCredentials = "client_credentials"
}

/// Where a client-secret expiry date came from.
/// What to do when a server may have accepted a message but never confirmed it (the
/// connection broke after the final "." of DATA).
public enum UncertainPolicy: String, Sendable, Hashable, CaseIterable {
    /// Send again (the receiver can de-duplicate by Message-ID): nothing is lost.
    case retry
    /// Mark the message failed: nothing is sent twice.
    case fail
}

public enum ExpiryDateSource: String, Sendable, Hashable, CaseIterable {
    /// Given by the operator.
    case `operator`
    /// Not given: stored-at plus 24 months, the longest Microsoft allows.
    case estimated
    /// Read from the provider (Microsoft Graph).
    case provider
}
