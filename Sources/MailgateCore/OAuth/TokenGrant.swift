/// What a token request trades for an access token.
public enum TokenGrant: Sendable, Hashable {
    /// App-only: the client id and secret alone (Microsoft `SMTP.SendAsApp`).
    case clientCredentials
    /// A refresh token from an earlier consent.
    case refreshToken(Secret)
    /// The code the provider sent to the redirect URI, with the PKCE verifier and that same URI.
    case authorizationCode(code: Secret, verifier: Secret, redirectURI: String)

    /// The form fields of the request to `oauth`'s token URL (RFC 6749 §4.1.3, §4.4.2, §6).
    /// They carry secrets: send them, never log them.
    public func formFields(oauth: ServerDefinition.OAuth, clientSecret: Secret?) -> [(String, String)] {
        var fields: [(String, String)] = [("client_id", oauth.clientID)]
        switch self {
        case .clientCredentials:
            fields.append(("grant_type", "client_credentials"))
        case .refreshToken(let token):
            fields.append(("grant_type", "refresh_token"))
            fields.append(("refresh_token", token.exposedValue))
        case .authorizationCode(let code, let verifier, let redirectURI):
            fields.append(("grant_type", "authorization_code"))
            fields.append(("code", code.exposedValue))
            fields.append(("redirect_uri", redirectURI))
            fields.append(("code_verifier", verifier.exposedValue))
        }
        // Google's token endpoint refuses a scope that differs from the consented one; Microsoft wants it.
        if oauth.provider != .google, !oauth.scopes.isEmpty {
            fields.append(("scope", oauth.scopes.joined(separator: " ")))
        }
        if let clientSecret { fields.append(("client_secret", clientSecret.exposedValue)) }
        return fields
    }

    /// "client_credentials", "refresh_token" or "authorization_code".
    public var name: String {
        switch self {
        case .clientCredentials: "client_credentials"
        case .refreshToken: "refresh_token"
        case .authorizationCode: "authorization_code"
        }
    }
}
