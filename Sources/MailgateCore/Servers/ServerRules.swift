import Foundation

/// The rules an output server must satisfy before it is stored. Field names are the
/// proto field paths of `PutServerRequest`.
public enum ServerRules {
    public static let maximumRateLimitPerMinute = 1_000_000

    /// Applies presets, normalizes host and addresses (IDN to ASCII), and checks every
    /// rule; returns the violations, all of them, or none.
    /// The changes that also remove stored secrets the server's auth type no longer uses,
    /// so a server switched from oauth2 to basic keeps no hidden client secret.
    public static func droppingUnusedSecrets(
        _ changes: SecretChanges,
        authType: AuthenticationType?,
        stored: StoredSecrets
    ) -> SecretChanges {
        var changes = changes
        if authType != .basic, stored.hasPassword, changes.password == .keep { changes.password = .clear }
        if authType != .oauth2 {
            if stored.hasClientSecret, changes.clientSecret == .keep { changes.clientSecret = .clear }
            if stored.hasRefreshToken, changes.refreshToken == .keep { changes.refreshToken = .clear }
        }
        return changes
    }

    /// `destinations` are the addresses Mailgate may connect to: a host or URL given as an
    /// address outside them (or as `localhost`) is refused here; names are checked again
    /// whenever they resolve.
    public static func prepare(
        _ definition: inout ServerDefinition,
        secrets: StoredSecrets,
        changes: SecretChanges,
        destinations: DestinationPolicy = .publicOnly,
        now: Date = Date()
    ) -> [Violation] {
        ProviderPresets.apply(to: &definition)
        var violations: [Violation] = []
        func fail(_ field: String, _ description: String) { violations.append(Violation(field, description)) }

        if definition.name.trimmingCharacters(in: .whitespaces).isEmpty {
            fail("name", "is required")
        } else if definition.name.unicodeScalars.count > 100 || definition.name.containsControlCharacter {
            fail("name", "must be at most 100 characters without control characters")
        } else if UUID(uuidString: definition.name) != nil {
            fail("name", "must not be a UUID (servers are found by id or name)")
        }

        if definition.host.isEmpty {
            fail("host", "is required")
        } else if let host = HostName(definition.host) {
            definition.host = host.description
            if let refusal = destinations.refusal(ofHost: host.description) { fail("host", refusal.description) }
        } else {
            fail("host", "is not a valid host name or IP address")
        }
        if !(1...65535).contains(definition.port) { fail("port", "must be between 1 and 65535") }

        if definition.senderName.count > 200 || definition.senderName.containsControlCharacter {
            fail("sender_name", "must be at most 200 characters without control characters")
        }
        if definition.senderAddress.isEmpty {
            fail("sender_address", "is required")
        } else if let address = EmailAddress(definition.senderAddress) {
            definition.senderAddress = address.description
        } else {
            fail("sender_address", "is not an email address (local@domain)")
        }
        if definition.rateLimitPerMinute < 0 || definition.rateLimitPerMinute > self.maximumRateLimitPerMinute {
            fail("rate_limit_per_minute", "must be between 0 (unlimited) and \(self.maximumRateLimitPerMinute)")
        }
        if definition.maxConnections < 0 || definition.maxConnections > 1000 {
            fail("max_connections", "must be between 0 (unlimited) and 1000")
        }
        if definition.dailyRecipientLimit < 0 || definition.dailyRecipientLimit > 10_000_000 {
            fail("daily_recipient_limit", "must be between 0 (unlimited) and 10000000")
        }
        if definition.username.count > 320 || definition.username.containsControlCharacter {
            fail("username", "must be at most 320 characters without control characters")
        }

        switch definition.authType ?? .none {
        case .none:
            if secrets.hasPassword, case .set = changes.password {
                fail("password", "is only used with auth_type basic")
            }
            if !definition.username.isEmpty { fail("username", "is only used with auth_type basic or oauth2") }
        case .basic:
            if definition.username.isEmpty { fail("username", "is required for basic authentication") }
            if !secrets.hasPassword { fail("password", "is required for basic authentication") }
            if definition.security == ConnectionSecurity.none && !definition.allowPlaintextAuth {
                fail(
                    "security",
                    "basic authentication over an unencrypted connection sends the password in clear; use starttls or tls, or set allow_plaintext_auth"
                )
            }
        case .oauth2:
            violations += self.oauthViolations(definition, secrets: secrets, destinations: destinations)
        }
        if definition.security == .opportunistic, (definition.authType ?? .none) != .none {
            fail(
                "security",
                "opportunistic (plaintext when the server offers no STARTTLS) is only for servers without authentication: use starttls or tls"
            )
        }

        if definition.authType != .oauth2, definition.oauth != nil {
            fail("oauth", "is only used with auth_type oauth2")
        }
        if definition.authType == .oauth2, case .set = changes.password {
            fail("password", "is only used with auth_type basic")
        }
        if definition.authType != .oauth2 {
            if case .set = changes.clientSecret { fail("client_secret", "is only used with auth_type oauth2") }
            if case .set = changes.refreshToken { fail("refresh_token", "is only used with auth_type oauth2") }
        }
        let secretInputs: [(String, SecretChange)] = [
            ("password", changes.password), ("client_secret", changes.clientSecret),
            ("refresh_token", changes.refreshToken),
        ]
        for case (let field, .set(let secret)) in secretInputs {
            if secret.exposedValue.utf8.count > 16_384 {
                fail(field, "must be at most 16 KiB")
            } else if secret.exposedValue.containsLineBreakOrNUL {
                fail(field, "must not contain line breaks or NUL (check the file for a trailing newline)")
            }
        }
        if let expiry = changes.clientSecretExpiresAt {
            if !secrets.hasClientSecret {
                fail("client_secret_expires_at", "no client secret is set")
            } else if expiry <= now {
                fail("client_secret_expires_at", "must be in the future")
            }
        }
        return violations
    }

    private static func oauthViolations(
        _ definition: ServerDefinition,
        secrets: StoredSecrets,
        destinations: DestinationPolicy
    ) -> [Violation] {
        var violations: [Violation] = []
        func fail(_ field: String, _ description: String) { violations.append(Violation(field, description)) }
        guard let oauth = definition.oauth else {
            return [Violation("oauth", "is required for auth_type oauth2")]
        }
        if definition.security == ConnectionSecurity.none {
            fail("security", "oauth2 needs tls or starttls: tokens must not cross the network in clear")
        }
        if EmailAddress(definition.username)?.description.lowercased() != definition.senderAddress.lowercased() {
            fail(
                "username",
                "must be the sender address for oauth2: the provider does not let a mailbox send as someone else"
            )
        }
        guard let provider = oauth.provider else {
            fail("oauth.provider", "is required: microsoft, google or generic")
            return violations
        }
        if oauth.flow == nil { fail("oauth.flow", "is required: authorization_code or client_credentials") }
        if oauth.clientID.isEmpty || oauth.clientID.count > 256 || oauth.clientID.containsControlCharacter {
            fail("oauth.client_id", "is required (the application / client id)")
        }
        if provider == .microsoft {
            if oauth.directoryID.isEmpty {
                fail("oauth.directory_id", "is required for Microsoft: the Azure AD tenant (directory) id or domain")
            } else if !oauth.directoryID.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == ".")
            }) {
                fail("oauth.directory_id", "must be a tenant id (GUID) or domain name")
            }
        }
        if provider == .google, oauth.flow == .clientCredentials {
            fail("oauth.flow", "Google sends SMTP mail only with authorization_code (user consent)")
        }
        if let problem = self.urlProblem(oauth.tokenURL, destinations: destinations) {
            fail("oauth.token_url", problem)
        }
        if oauth.flow == .authorizationCode,
            let problem = self.urlProblem(oauth.authorizationURL, destinations: destinations)
        {
            fail("oauth.authorization_url", problem)
        }
        if oauth.scopes.isEmpty {
            fail("oauth.scopes", "at least one scope is required")
        } else if oauth.scopes.contains(where: {
            $0.isEmpty || $0.contains(where: \.isWhitespace) || $0.containsControlCharacter
        }) {
            fail("oauth.scopes", "each scope is one word without spaces")
        }
        if oauth.flow == .clientCredentials || provider == .google, !secrets.hasClientSecret {
            fail("client_secret", "is required for this provider and flow")
        }
        if definition.discoverSecretExpiry, provider != .microsoft {
            fail("discover_secret_expiry", "reads Microsoft Graph: only for provider microsoft")
        }
        return violations
    }

    /// Why a token or authorization URL is unusable: it must be https (http only to a loopback
    /// host, for tests and development) and its host within `destinations`.
    static func urlProblem(_ text: String, destinations: DestinationPolicy) -> String? {
        if text.isEmpty { return "is required" }
        if text.contains("{") { return "still contains a placeholder such as {tenant_id}: set oauth.directory_id" }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            return "is not a URL"
        }
        if let refusal = destinations.refusal(ofHost: host) { return refusal.description }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
        if scheme == "https" || (scheme == "http" && loopback) { return nil }
        return "must be an https URL"
    }
}
