import Foundation
import MailgateCore
import Testing

@Suite("Server rules")
struct ServerRulesTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    static func basicServer() -> ServerDefinition {
        ServerDefinition(
            name: "billing",
            host: "smtp.example.com",
            port: 587,
            security: .starttls,
            senderName: "Billing",
            senderAddress: "billing@example.com",
            authType: .basic,
            username: "billing@example.com"
        )
    }

    static func microsoftServer(flow: OAuthGrantFlow? = .clientCredentials) -> ServerDefinition {
        ServerDefinition(
            name: "office",
            senderAddress: "billing@contoso.com",
            authType: .oauth2,
            oauth: .init(
                provider: .microsoft,
                flow: flow,
                clientID: "00000000-app-id",
                directoryID: "contoso.onmicrosoft.com"
            )
        )
    }

    static func genericOAuthServer(tokenURL: String) -> ServerDefinition {
        ServerDefinition(
            name: "generic",
            host: "smtp.example.com",
            senderAddress: "billing@example.com",
            authType: .oauth2,
            oauth: .init(
                provider: .generic,
                flow: .clientCredentials,
                clientID: "client",
                tokenURL: tokenURL,
                scopes: ["smtp.send"]
            )
        )
    }

    private func prepare(
        _ definition: inout ServerDefinition,
        secrets: StoredSecrets = StoredSecrets(),
        changes: SecretChanges = SecretChanges(),
        destinations: DestinationPolicy = .publicOnly
    ) -> [String] {
        ServerRules.prepare(&definition, secrets: secrets, changes: changes, destinations: destinations, now: Self.now)
            .map(\.field)
    }

    // MARK: basic authentication

    @Test("a complete basic server has no violations and is left as given")
    func validBasic() {
        var definition = Self.basicServer()
        let violations = ServerRules.prepare(
            &definition,
            secrets: StoredSecrets(hasPassword: true),
            changes: SecretChanges(),
            now: Self.now
        )
        #expect(violations.isEmpty, "\(violations)")
        #expect(definition == Self.basicServer())
    }

    @Test("basic authentication needs a username and a password")
    func basicNeedsCredentials() {
        var definition = Self.basicServer()
        definition.username = ""
        #expect(prepare(&definition).sorted() == ["password", "username"])

        var withNewPassword = Self.basicServer()
        let changes = SecretChanges(password: .set(Secret("pw")))
        #expect(prepare(&withNewPassword, secrets: StoredSecrets().applying(changes), changes: changes) == [])
    }

    @Test("basic authentication over a plaintext connection needs allow_plaintext_auth")
    func plaintextBasic() {
        var definition = Self.basicServer()
        definition.security = ConnectionSecurity.none
        definition.port = 25
        let violations = ServerRules.prepare(
            &definition,
            secrets: StoredSecrets(hasPassword: true),
            changes: SecretChanges(),
            now: Self.now
        )
        #expect(violations.map(\.field) == ["security"])

        var allowed = Self.basicServer()
        allowed.security = ConnectionSecurity.none
        allowed.port = 25
        allowed.allowPlaintextAuth = true
        #expect(prepare(&allowed, secrets: StoredSecrets(hasPassword: true)) == [])
    }

    @Test("auth type none refuses a username and a new password")
    func authNone() {
        var definition = Self.basicServer()
        definition.authType = AuthenticationType.none
        let changes = SecretChanges(password: .set(Secret("pw")))
        #expect(
            prepare(&definition, secrets: StoredSecrets().applying(changes), changes: changes).sorted() == [
                "password", "username",
            ]
        )

        var relay = ServerDefinition(
            name: "relay",
            host: "relay.internal.example",
            port: 25,
            senderAddress: "noreply@example.com"
        )
        #expect(prepare(&relay) == [])
        #expect(relay.authType == AuthenticationType.none)
        #expect(relay.security == ConnectionSecurity.none)
    }

    // MARK: normalization and general fields

    @Test("host and sender are normalized to their ASCII forms")
    func normalization() {
        var definition = Self.basicServer()
        definition.host = "SMTP.Bücher.Example"
        definition.senderAddress = "Billing@Bücher.Example"
        #expect(prepare(&definition, secrets: StoredSecrets(hasPassword: true)) == [])
        #expect(definition.host == "smtp.xn--bcher-kva.example")
        #expect(definition.senderAddress == "Billing@xn--bcher-kva.example")

        var ipv6 = Self.basicServer()
        ipv6.host = "[2606:4700:4700::ABCD]"
        #expect(prepare(&ipv6, secrets: StoredSecrets(hasPassword: true)) == [])
        #expect(ipv6.host == "2606:4700:4700::abcd")
    }

    @Test("opportunistic TLS is only for servers without authentication")
    func opportunisticWithoutAuthOnly() {
        var relay = ServerDefinition(name: "relay", host: "relay.example.com", port: 25, senderAddress: "a@example.com")
        relay.security = .opportunistic
        relay.authType = AuthenticationType.none
        #expect(prepare(&relay) == [])
        var basic = Self.basicServer()
        basic.security = .opportunistic
        #expect(prepare(&basic, secrets: StoredSecrets(hasPassword: true)) == ["security"])
    }

    @Test(
        "a host that is a non-public address is refused unless its network is allowed",
        arguments: [
            "169.254.169.254", "[::ffff:10.0.0.1]", "::ffff:a9fe:a9fe", "127.0.0.1", "localhost", "10.1.2.3", "fd00::5",
        ]
    )
    func nonPublicHost(host: String) throws {
        var definition = Self.basicServer()
        definition.host = host
        let violations = ServerRules.prepare(
            &definition,
            secrets: StoredSecrets(hasPassword: true),
            changes: SecretChanges()
        )
        #expect(violations.map(\.field) == ["host"])
        #expect(violations.first?.description.contains("MAILGATE_ALLOWED_PRIVATE_NETWORKS") == true)

        let everything = try #require(NetworkRange("::/0"))
        definition.host = host
        #expect(
            prepare(
                &definition,
                secrets: StoredSecrets(hasPassword: true),
                destinations: .init(allowedNetworks: [everything])
            ) == []
        )
    }

    @Test("a name that is a UUID is refused", arguments: [UUID().uuidString, UUID().uuidString.lowercased()])
    func uuidName(name: String) {
        var definition = Self.basicServer()
        definition.name = name
        #expect(prepare(&definition, secrets: StoredSecrets(hasPassword: true)) == ["name"])
    }

    /// One bad value of one field of `basicServer()`.
    enum BadField: String, CaseIterable, Sendable {
        case blankName, longName, controlInName, noHost, hostWithSpace, badIPv4Host, portTooHigh, negativePort
        case senderNameWithLineBreak, noSenderAddress, injectedSenderAddress, negativeRateLimit, rateLimitTooHigh
        case usernameWithLineBreak

        var field: String {
            switch self {
            case .blankName, .longName, .controlInName: "name"
            case .noHost, .hostWithSpace, .badIPv4Host: "host"
            case .portTooHigh, .negativePort: "port"
            case .senderNameWithLineBreak: "sender_name"
            case .noSenderAddress, .injectedSenderAddress: "sender_address"
            case .negativeRateLimit, .rateLimitTooHigh: "rate_limit_per_minute"
            case .usernameWithLineBreak: "username"
            }
        }

        func apply(to d: inout ServerDefinition) {
            switch self {
            case .blankName: d.name = "  "
            case .longName: d.name = String(repeating: "n", count: 101)
            case .controlInName: d.name = "bad\nname"
            case .noHost: d.host = ""
            case .hostWithSpace: d.host = "smtp example.com"
            case .badIPv4Host: d.host = "256.1.1.1"
            case .portTooHigh: d.port = 65536
            case .negativePort: d.port = -1
            case .senderNameWithLineBreak: d.senderName = "Billing\r\nBcc: x@y.z"
            case .noSenderAddress: d.senderAddress = ""
            case .injectedSenderAddress: d.senderAddress = "billing@example.com\r\nBcc: x@y.z"
            case .negativeRateLimit: d.rateLimitPerMinute = -1
            case .rateLimitTooHigh: d.rateLimitPerMinute = 1_000_001
            case .usernameWithLineBreak: d.username = "user\nname"
            }
        }
    }

    @Test("name, host, port, sender, rate limit and username are checked", arguments: BadField.allCases)
    func fieldRules(bad: BadField) {
        var definition = Self.basicServer()
        bad.apply(to: &definition)
        #expect(prepare(&definition, secrets: StoredSecrets(hasPassword: true)) == [bad.field])
    }

    @Test("the largest rate limit and a 100-character name are accepted")
    func limits() {
        var definition = Self.basicServer()
        definition.rateLimitPerMinute = ServerRules.maximumRateLimitPerMinute
        definition.name = String(repeating: "n", count: 100)
        #expect(prepare(&definition, secrets: StoredSecrets(hasPassword: true)) == [])
    }

    @Test("every violation is reported, not just the first")
    func allViolations() {
        var definition = ServerDefinition(
            name: "",
            host: "bad host",
            port: 70000,
            senderAddress: "nobody",
            authType: .basic
        )
        let fields = Set(prepare(&definition))
        #expect(fields == ["name", "host", "port", "sender_address", "username", "password"])
    }

    // MARK: ports and security

    @Test(
        "security is derived from the port and the port from security",
        arguments: [
            (465, nil, 465, ConnectionSecurity.tls),
            (587, nil, 587, .starttls),
            (2525, nil, 2525, .starttls),
            (0, nil, 587, .starttls),
            (0, .tls, 465, .tls),
            (0, .starttls, 587, .starttls),
            (0, ConnectionSecurity.none, 25, ConnectionSecurity.none),
            (465, .starttls, 465, .starttls),
        ] as [(Int, ConnectionSecurity?, Int, ConnectionSecurity)]
    )
    func derivedPortAndSecurity(
        port: Int,
        security: ConnectionSecurity?,
        expectedPort: Int,
        expectedSecurity: ConnectionSecurity
    ) {
        var definition = Self.basicServer()
        definition.port = port
        definition.security = security
        definition.allowPlaintextAuth = true
        #expect(prepare(&definition, secrets: StoredSecrets(hasPassword: true)) == [])
        #expect(definition.port == expectedPort)
        #expect(definition.security == expectedSecurity)
    }

    @Test("port 25 without authentication derives plaintext, with authentication starttls")
    func port25() {
        var relay = ServerDefinition(name: "relay", host: "relay.example.com", port: 25, senderAddress: "a@example.com")
        _ = prepare(&relay)
        #expect(relay.security == ConnectionSecurity.none)

        var authenticated = Self.basicServer()
        authenticated.port = 25
        authenticated.security = nil
        #expect(prepare(&authenticated, secrets: StoredSecrets(hasPassword: true)) == [])
        #expect(authenticated.security == .starttls)
    }

    @Test("auth type is derived when not given")
    func derivedAuthType() {
        var withUsername = Self.basicServer()
        withUsername.authType = nil
        _ = prepare(&withUsername, secrets: StoredSecrets(hasPassword: true))
        #expect(withUsername.authType == .basic)

        var withOAuth = Self.microsoftServer()
        withOAuth.authType = nil
        #expect(prepare(&withOAuth, secrets: StoredSecrets(hasClientSecret: true)) == [])
        #expect(withOAuth.authType == .oauth2)
    }

    // MARK: OAuth

    @Test("a Microsoft client-credentials server gets the Microsoft presets and no violations")
    func microsoftClientCredentials() throws {
        var definition = Self.microsoftServer()
        let violations = ServerRules.prepare(
            &definition,
            secrets: StoredSecrets(hasClientSecret: true),
            changes: SecretChanges(),
            now: Self.now
        )
        #expect(violations.isEmpty, "\(violations)")
        #expect(definition.host == "smtp.office365.com")
        #expect(definition.port == 587)
        #expect(definition.security == .starttls)
        #expect(definition.rateLimitPerMinute == 30)
        #expect(definition.username == "billing@contoso.com")
        let oauth = try #require(definition.oauth)
        #expect(oauth.flow == .clientCredentials)
        #expect(oauth.tokenURL == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(
            oauth.authorizationURL == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
        )
        #expect(oauth.scopes == ["https://outlook.office365.com/.default"])
    }

    @Test("Microsoft defaults to the client-credentials flow")
    func microsoftDefaultFlow() throws {
        var definition = Self.microsoftServer(flow: nil)
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == [])
        #expect(definition.oauth?.flow == .clientCredentials)
        #expect(definition.oauth?.scopes == ["https://outlook.office365.com/.default"])
    }

    @Test("Microsoft client credentials need a client secret")
    func microsoftNeedsClientSecret() {
        var definition = Self.microsoftServer()
        #expect(prepare(&definition) == ["client_secret"])
    }

    @Test("the Microsoft authorization-code flow gets the delegated scopes")
    func microsoftDelegated() throws {
        var definition = Self.microsoftServer(flow: .authorizationCode)
        #expect(prepare(&definition, secrets: StoredSecrets(hasRefreshToken: true)) == [])
        #expect(definition.oauth?.scopes == ["https://outlook.office.com/SMTP.Send", "offline_access"])
    }

    @Test("values the operator gives are not overwritten by presets")
    func presetsOnlyFillEmptyFields() throws {
        var definition = Self.microsoftServer()
        definition.host = "smtp-legacy.office365.com"
        definition.port = 465
        definition.rateLimitPerMinute = 10
        definition.oauth?.scopes = ["https://outlook.office365.com/SMTP.SendAsApp"]
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == [])
        #expect(definition.host == "smtp-legacy.office365.com")
        #expect(definition.security == .tls)
        #expect(definition.rateLimitPerMinute == 10)
        #expect(definition.oauth?.scopes == ["https://outlook.office365.com/SMTP.SendAsApp"])
    }

    @Test("Microsoft needs a directory id, else the placeholder stays in the URLs")
    func microsoftDirectory() {
        var definition = Self.microsoftServer()
        definition.oauth?.directoryID = ""
        #expect(
            Set(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true))) == [
                "oauth.directory_id", "oauth.token_url",
            ]
        )
        #expect(definition.oauth?.tokenURL.contains("{tenant_id}") == true)

        var bad = Self.microsoftServer()
        bad.oauth?.directoryID = "contoso/../evil"
        #expect(prepare(&bad, secrets: StoredSecrets(hasClientSecret: true)).contains("oauth.directory_id"))
    }

    @Test("an oauth2 username must be the sender address")
    func oauthUsername() {
        var definition = Self.microsoftServer()
        definition.username = "someone-else@contoso.com"
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == ["username"])

        var sameIgnoringCase = Self.microsoftServer()
        sameIgnoringCase.username = "BILLING@contoso.com"
        #expect(prepare(&sameIgnoringCase, secrets: StoredSecrets(hasClientSecret: true)) == [])
    }

    @Test("oauth2 over a plaintext connection is refused")
    func oauthPlaintext() {
        var definition = Self.microsoftServer()
        definition.security = ConnectionSecurity.none
        definition.allowPlaintextAuth = true
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == ["security"])
    }

    @Test("oauth2 needs OAuth settings, and OAuth settings need oauth2")
    func oauthSettingsPresence() {
        var missing = Self.basicServer()
        missing.authType = .oauth2
        #expect(prepare(&missing) == ["oauth"])

        var unused = Self.basicServer()
        unused.oauth = .init(provider: .generic)
        #expect(prepare(&unused, secrets: StoredSecrets(hasPassword: true)) == ["oauth"])
    }

    @Test("Google refuses the client-credentials flow")
    func googleClientCredentials() {
        var definition = ServerDefinition(
            name: "gmail",
            senderAddress: "billing@example.com",
            authType: .oauth2,
            oauth: .init(provider: .google, flow: .clientCredentials, clientID: "client.apps.googleusercontent.com")
        )
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == ["oauth.flow"])
    }

    @Test("Google gets its presets and the authorization-code flow")
    func googlePresets() throws {
        var definition = ServerDefinition(
            name: "gmail",
            senderAddress: "billing@example.com",
            authType: .oauth2,
            oauth: .init(provider: .google, clientID: "client.apps.googleusercontent.com")
        )
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true, hasRefreshToken: true)) == [])
        #expect(definition.host == "smtp.gmail.com")
        #expect(definition.oauth?.flow == .authorizationCode)
        #expect(definition.oauth?.tokenURL == "https://oauth2.googleapis.com/token")
        #expect(definition.oauth?.scopes == ["https://mail.google.com/"])
        #expect(definition.rateLimitPerMinute == 0)
    }

    @Test(
        "a token URL must be https, or http to a loopback host",
        arguments: [
            ("https://auth.example.com/token", true),
            ("https://169.254.169.254/token", false),
            ("https://10.0.0.8/token", false),
            ("http://127.0.0.1:8080/token", true),
            ("http://localhost:8080/token", true),
            ("http://[::1]:8080/token", true),
            ("http://auth.example.com/token", false),
            ("http://127.0.0.2/token", false),
            ("ftp://auth.example.com/token", false),
            ("not a url", false),
            ("", false),
        ]
    )
    func tokenURL(url: String, accepted: Bool) {
        var definition = Self.genericOAuthServer(tokenURL: url)
        // Loopback allowed, as in development; the other non-public networks are not.
        #expect(
            prepare(&definition, secrets: StoredSecrets(hasClientSecret: true), destinations: .loopbackAllowed)
                == (accepted ? [] : ["oauth.token_url"])
        )
    }

    @Test("scopes must be single words")
    func scopes() {
        var definition = Self.genericOAuthServer(tokenURL: "https://auth.example.com/token")
        definition.oauth?.scopes = ["smtp send"]
        #expect(prepare(&definition, secrets: StoredSecrets(hasClientSecret: true)) == ["oauth.scopes"])

        var none = Self.genericOAuthServer(tokenURL: "https://auth.example.com/token")
        none.oauth?.scopes = []
        #expect(prepare(&none, secrets: StoredSecrets(hasClientSecret: true)) == ["oauth.scopes"])
    }

    // MARK: secrets

    @Test("a client-secret expiry must be in the future and needs a client secret")
    func clientSecretExpiry() {
        var past = Self.microsoftServer()
        #expect(
            prepare(
                &past,
                secrets: StoredSecrets(hasClientSecret: true),
                changes: SecretChanges(clientSecretExpiresAt: Self.now.addingTimeInterval(-86_400))
            )
                == ["client_secret_expires_at"]
        )

        var exactlyNow = Self.microsoftServer()
        #expect(
            prepare(
                &exactlyNow,
                secrets: StoredSecrets(hasClientSecret: true),
                changes: SecretChanges(clientSecretExpiresAt: Self.now)
            )
                == ["client_secret_expires_at"]
        )

        var future = Self.microsoftServer()
        #expect(
            prepare(
                &future,
                secrets: StoredSecrets(hasClientSecret: true),
                changes: SecretChanges(clientSecretExpiresAt: Self.now.addingTimeInterval(86_400))
            )
                == []
        )

        var withoutSecret = Self.basicServer()
        #expect(
            prepare(
                &withoutSecret,
                secrets: StoredSecrets(hasPassword: true),
                changes: SecretChanges(clientSecretExpiresAt: Self.now.addingTimeInterval(86_400))
            )
                == ["client_secret_expires_at"]
        )
    }

    @Test(
        "a new secret with a line break or NUL is refused on its own field",
        arguments: ["pw\n", "pw\r", "p\0w", "\npw"]
    )
    func secretLineBreaks(value: String) {
        var basic = Self.basicServer()
        let password = SecretChanges(password: .set(Secret(value)))
        #expect(prepare(&basic, secrets: StoredSecrets().applying(password), changes: password) == ["password"])

        var microsoft = Self.microsoftServer()
        let clientSecret = SecretChanges(clientSecret: .set(Secret(value)))
        #expect(
            prepare(&microsoft, secrets: StoredSecrets().applying(clientSecret), changes: clientSecret) == [
                "client_secret"
            ]
        )

        var delegated = Self.microsoftServer(flow: .authorizationCode)
        let refreshToken = SecretChanges(refreshToken: .set(Secret(value)))
        #expect(
            prepare(&delegated, secrets: StoredSecrets().applying(refreshToken), changes: refreshToken) == [
                "refresh_token"
            ]
        )
    }

    @Test("a secret over 16 KiB is refused")
    func secretSize() {
        var fits = Self.basicServer()
        let small = SecretChanges(password: .set(Secret(String(repeating: "p", count: 16_384))))
        #expect(prepare(&fits, secrets: StoredSecrets(hasPassword: true), changes: small) == [])

        var tooLarge = Self.basicServer()
        let large = SecretChanges(password: .set(Secret(String(repeating: "p", count: 16_385))))
        #expect(prepare(&tooLarge, secrets: StoredSecrets(hasPassword: true), changes: large) == ["password"])
    }

    @Test("violation descriptions never show a secret value")
    func violationsRedacted() {
        var definition = Self.basicServer()
        let changes = SecretChanges(password: .set(Secret("super-secret\n")))
        let violations = ServerRules.prepare(
            &definition,
            secrets: StoredSecrets(hasPassword: true),
            changes: changes,
            now: Self.now
        )
        #expect(!violations.isEmpty)
        #expect(!violations.contains { $0.description.contains("super-secret") })
    }

    @Test("applying secret changes keeps, sets and clears")
    func storedSecretsApplying() {
        let current = StoredSecrets(hasPassword: true, hasClientSecret: true, hasRefreshToken: false)
        let after = current.applying(
            SecretChanges(password: .keep, clientSecret: .clear, refreshToken: .set(Secret("r")))
        )
        #expect(after == StoredSecrets(hasPassword: true, hasClientSecret: false, hasRefreshToken: true))
    }
}

@Suite("Tenant rules")
struct TenantRulesTests {
    @Test(
        "a lowercase slug of letters, digits and hyphens is accepted",
        arguments: ["acme", "abc", "acme-2", "123", String(repeating: "a", count: 63)]
    )
    func validSlug(slug: String) {
        #expect(TenantRules.slugViolations(slug).isEmpty)
    }

    @Test(
        "invalid slugs give one violation on the slug field",
        arguments: [
            "", "ab", "Acme", "a_b", "a b", "acme\n", "ácme", String(repeating: "a", count: 64),
            UUID().uuidString, UUID().uuidString.lowercased(),
        ]
    )
    func invalidSlug(slug: String) {
        let violations = TenantRules.slugViolations(slug)
        #expect(violations.count == 1)
        #expect(violations.first?.field == "slug")
    }

    @Test("a lowercase UUID is refused for being a UUID")
    func uuidSlug() {
        let violations = TenantRules.slugViolations(UUID().uuidString.lowercased(), field: "tenant")
        #expect(violations.map(\.field) == ["tenant"])
        #expect(violations.first?.description.contains("UUID") == true)
    }

    @Test("display names are required, short and without control characters")
    func displayName() {
        #expect(TenantRules.displayNameViolations("Acme Corp").isEmpty)
        #expect(TenantRules.displayNameViolations("   ").map(\.field) == ["display_name"])
        #expect(TenantRules.displayNameViolations(String(repeating: "x", count: 201)).count == 1)
        #expect(TenantRules.displayNameViolations("Acme\u{7}").count == 1)
    }

    @Test("alert contacts must be addresses, 20 at most, and are normalized without duplicates")
    func alertContacts() {
        #expect(
            TenantRules.alertContactViolations(["ops@example.com", "nope", "a@b"]).map(\.field) == [
                "alert_contacts[1]", "alert_contacts[2]",
            ]
        )
        let many = (0..<21).map { "ops\($0)@example.com" }
        #expect(TenantRules.alertContactViolations(many).map(\.field) == ["alert_contacts"])
        #expect(
            TenantRules.normalizedContacts(["ops@Bücher.example", "OPS@xn--bcher-kva.example", "bad", "b@example.com"])
                == ["ops@xn--bcher-kva.example", "b@example.com"]
        )
    }
}
