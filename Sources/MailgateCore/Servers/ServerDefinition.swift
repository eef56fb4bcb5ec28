import Foundation

/// Everything about an output server except its secrets: what `PutServer` sets.
public struct ServerDefinition: Sendable, Hashable {
    /// OAuth settings of an `oauth2` server.
    public struct OAuth: Sendable, Hashable {
        public var provider: OAuthProviderKind?
        public var flow: OAuthGrantFlow?
        public var clientID: String
        /// Azure AD tenant (directory) id for Microsoft.
        public var directoryID: String
        public var authorizationURL: String
        public var tokenURL: String
        public var scopes: [String]

        public init(
            provider: OAuthProviderKind? = nil,
            flow: OAuthGrantFlow? = nil,
            clientID: String = "",
            directoryID: String = "",
            authorizationURL: String = "",
            tokenURL: String = "",
            scopes: [String] = []
        ) {
            self.provider = provider
            self.flow = flow
            self.clientID = clientID
            self.directoryID = directoryID
            self.authorizationURL = authorizationURL
            self.tokenURL = tokenURL
            self.scopes = scopes
        }
    }

    public var name: String
    public var host: String
    /// 0 = the security mode's usual port.
    public var port: Int
    /// nil = derived from the port (465 → tls, otherwise starttls) or the provider.
    public var security: ConnectionSecurity?
    public var senderName: String
    public var senderAddress: String
    /// nil = oauth2 when OAuth settings are given, basic with a username, otherwise none.
    public var authType: AuthenticationType?
    public var username: String
    public var allowPlaintextAuth: Bool
    public var oauth: OAuth?
    /// Messages a minute through this server, across replicas; 0 = unlimited.
    public var rateLimitPerMinute: Int
    /// Concurrent connections to this server, across replicas; 0 = unlimited.
    public var maxConnections: Int
    /// Recipients per rolling 24 hours, across replicas; 0 = unlimited.
    public var dailyRecipientLimit: Int
    public var uncertainPolicy: UncertainPolicy
    /// Read the client secret's end date from Microsoft Graph (needs Application.Read.All).
    public var discoverSecretExpiry: Bool
    public var isDefault: Bool

    public init(
        name: String,
        host: String = "",
        port: Int = 0,
        security: ConnectionSecurity? = nil,
        senderName: String = "",
        senderAddress: String = "",
        authType: AuthenticationType? = nil,
        username: String = "",
        allowPlaintextAuth: Bool = false,
        oauth: OAuth? = nil,
        rateLimitPerMinute: Int = 0,
        maxConnections: Int = 0,
        dailyRecipientLimit: Int = 0,
        uncertainPolicy: UncertainPolicy = .retry,
        discoverSecretExpiry: Bool = false,
        isDefault: Bool = false
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.security = security
        self.senderName = senderName
        self.senderAddress = senderAddress
        self.authType = authType
        self.username = username
        self.allowPlaintextAuth = allowPlaintextAuth
        self.oauth = oauth
        self.rateLimitPerMinute = rateLimitPerMinute
        self.maxConnections = maxConnections
        self.dailyRecipientLimit = dailyRecipientLimit
        self.uncertainPolicy = uncertainPolicy
        self.discoverSecretExpiry = discoverSecretExpiry
        self.isDefault = isDefault
    }
}

/// What a put does to one stored secret.
public enum SecretChange: Sendable, Hashable {
    /// Leave the stored value as it is (the field was omitted).
    case keep
    /// Store a new value.
    case set(Secret)
    /// Remove the stored value.
    case clear
}

/// The secrets a put changes, and the client secret's expiry if the operator gives it.
public struct SecretChanges: Sendable, Hashable {
    public var password: SecretChange
    public var clientSecret: SecretChange
    public var refreshToken: SecretChange
    public var clientSecretExpiresAt: Date?

    public init(
        password: SecretChange = .keep,
        clientSecret: SecretChange = .keep,
        refreshToken: SecretChange = .keep,
        clientSecretExpiresAt: Date? = nil
    ) {
        self.password = password
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.clientSecretExpiresAt = clientSecretExpiresAt
    }
}

/// Which secrets a server holds after a put: what validation needs to know.
public struct StoredSecrets: Sendable, Hashable {
    public var hasPassword: Bool
    public var hasClientSecret: Bool
    public var hasRefreshToken: Bool

    public init(hasPassword: Bool = false, hasClientSecret: Bool = false, hasRefreshToken: Bool = false) {
        self.hasPassword = hasPassword
        self.hasClientSecret = hasClientSecret
        self.hasRefreshToken = hasRefreshToken
    }

    /// The secrets present once `changes` apply to these.
    public func applying(_ changes: SecretChanges) -> StoredSecrets {
        func present(_ change: SecretChange, _ current: Bool) -> Bool {
            switch change {
            case .keep: current
            case .set: true
            case .clear: false
            }
        }
        return StoredSecrets(
            hasPassword: present(changes.password, self.hasPassword),
            hasClientSecret: present(changes.clientSecret, self.hasClientSecret),
            hasRefreshToken: present(changes.refreshToken, self.hasRefreshToken)
        )
    }
}
