import Foundation

/// Defaults for the OAuth providers Mailgate knows, filled into empty fields of a put.
public enum ProviderPresets {
    /// Microsoft 365 / Exchange Online.
    public enum Microsoft {
        public static let host = "smtp.office365.com"
        public static let authorizationURL = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/authorize"
        public static let tokenURL = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
        /// App-only sending (`SMTP.SendAsApp`).
        public static let clientCredentialsScopes = ["https://outlook.office365.com/.default"]
        /// Delegated sending with a refresh token.
        public static let delegatedScopes = ["https://outlook.office.com/SMTP.Send", "offline_access"]
        /// Exchange Online's limit per mailbox.
        public static let messagesPerMinute = 30
        /// Exchange answers `432 4.3.2` past three concurrent connections per mailbox.
        public static let concurrentConnections = 3
        /// Exchange Online's recipient rate limit per mailbox.
        public static let recipientsPerDay = 10_000
    }

    /// Google Workspace / Gmail.
    public enum Google {
        public static let host = "smtp.gmail.com"
        public static let authorizationURL = "https://accounts.google.com/o/oauth2/v2/auth"
        public static let tokenURL = "https://oauth2.googleapis.com/token"
        public static let scopes = ["https://mail.google.com/"]
    }

    /// Fills the provider's defaults into the empty fields of `definition`, derives
    /// security, port and auth type when not given, and substitutes `{tenant_id}` in URLs.
    public static func apply(to definition: inout ServerDefinition) {
        if definition.authType == nil {
            definition.authType =
                definition.oauth != nil ? .oauth2 : (definition.username.isEmpty ? AuthenticationType.none : .basic)
        }
        if definition.authType == .oauth2, var oauth = definition.oauth {
            switch oauth.provider {
            case .microsoft:
                if oauth.flow == nil { oauth.flow = .clientCredentials }
                fill(&definition.host, Microsoft.host)
                fill(&oauth.authorizationURL, Microsoft.authorizationURL)
                fill(&oauth.tokenURL, Microsoft.tokenURL)
                if oauth.scopes.isEmpty {
                    oauth.scopes =
                        oauth.flow == .clientCredentials ? Microsoft.clientCredentialsScopes : Microsoft.delegatedScopes
                }
                if definition.rateLimitPerMinute == 0 { definition.rateLimitPerMinute = Microsoft.messagesPerMinute }
                if definition.maxConnections == 0 { definition.maxConnections = Microsoft.concurrentConnections }
                if definition.dailyRecipientLimit == 0 { definition.dailyRecipientLimit = Microsoft.recipientsPerDay }
            case .google:
                if oauth.flow == nil { oauth.flow = .authorizationCode }
                fill(&definition.host, Google.host)
                fill(&oauth.authorizationURL, Google.authorizationURL)
                fill(&oauth.tokenURL, Google.tokenURL)
                if oauth.scopes.isEmpty { oauth.scopes = Google.scopes }
            case .generic, nil:
                break
            }
            if !oauth.directoryID.isEmpty {
                oauth.authorizationURL = oauth.authorizationURL.replacingOccurrences(
                    of: "{tenant_id}",
                    with: oauth.directoryID
                )
                oauth.tokenURL = oauth.tokenURL.replacingOccurrences(of: "{tenant_id}", with: oauth.directoryID)
            }
            if definition.username.isEmpty { definition.username = definition.senderAddress }
            definition.oauth = oauth
        }
        if definition.security == nil {
            definition.security =
                definition.port == 465
                ? .tls
                : (definition.port == 25 && definition.authType == AuthenticationType.none
                    ? ConnectionSecurity.none : .starttls)
        }
        if definition.port == 0 { definition.port = definition.security!.defaultPort }
    }

    private static func fill(_ field: inout String, _ value: String) {
        if field.isEmpty { field = value }
    }
}
