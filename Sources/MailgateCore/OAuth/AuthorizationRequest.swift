/// The provider URL a person opens to consent ("Get refresh token"): authorization code
/// flow with PKCE S256, asking for a refresh token.
public struct AuthorizationRequest: Sendable, Hashable {
    public var oauth: ServerDefinition.OAuth
    public var redirectURI: String
    public var state: String
    public var codeChallenge: String
    /// The mailbox to sign in as, offered to the provider as a hint.
    public var loginHint: String

    public init(
        oauth: ServerDefinition.OAuth,
        redirectURI: String,
        state: String,
        codeChallenge: String,
        loginHint: String = ""
    ) {
        self.oauth = oauth
        self.redirectURI = redirectURI
        self.state = state
        self.codeChallenge = codeChallenge
        self.loginHint = loginHint
    }

    /// The server's scopes, and for Microsoft and Google those of OpenID Connect, so the
    /// token reply says which account signed in (it must be the server's mailbox).
    public var scopes: [String] {
        let identity: [String] =
            switch self.oauth.provider {
            case .microsoft: ["openid", "email", "profile"]
            case .google: ["openid", "email"]
            case .generic, nil: []
            }
        return self.oauth.scopes + identity.filter { !self.oauth.scopes.contains($0) }
    }

    /// The authorization URL with its query.
    public var url: String {
        var fields: [(String, String)] = [
            ("client_id", self.oauth.clientID),
            ("response_type", "code"),
            ("redirect_uri", self.redirectURI),
            ("scope", self.scopes.joined(separator: " ")),
            ("state", self.state),
            ("code_challenge", self.codeChallenge),
            ("code_challenge_method", "S256"),
        ]
        switch self.oauth.provider {
        case .google:
            // Without both Google issues no refresh token on a repeated consent.
            fields.append(("access_type", "offline"))
            fields.append(("prompt", "consent"))
        case .microsoft:
            fields.append(("response_mode", "query"))
        case .generic, nil:
            break
        }
        if !self.loginHint.isEmpty { fields.append(("login_hint", self.loginHint)) }
        let base = self.oauth.authorizationURL
        return base + (base.contains("?") ? "&" : "?") + FormEncoding.encode(fields)
    }

    /// The code in what an operator pasted: the address the browser ended at (whose
    /// `state` must be `state`), or the bare code. Nil when there is none.
    public static func code(pasted text: String, state: String) -> String? {
        guard !text.isEmpty else { return nil }
        guard text.contains("code=") else { return text.contains("=") || text.contains(" ") ? nil : text }
        let query = text.split(separator: "?", maxSplits: 1).last.map(String.init) ?? text
        let fields = FormEncoding.decode(query)
        if let pastedState = fields["state"], pastedState != state { return nil }
        return fields["code"]
    }
}
