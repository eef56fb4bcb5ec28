import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import SwiftProtobuf

/// The output-server form: its fields from a stored server or a provider preset, and a
/// `PutServerRequest` from what was submitted. Secrets go one way only: typed into the form,
/// never shown back (the form shows whether each is set, since when and until when).
enum ServerForm {
    /// The providers the "new server" buttons start from.
    enum Preset: String {
        case microsoft, google, basic

        /// A new server filled as the provider documents it, from the same presets PutServer
        /// applies to empty fields.
        var server: Mailgate_V1_OutputServer {
            var server = Mailgate_V1_OutputServer()
            server.port = 587
            server.security = .starttls
            switch self {
            case .microsoft:
                server.host = ProviderPresets.Microsoft.host
                server.authType = .oauth2
                server.oauth.provider = .microsoft
                server.oauth.flow = .authorizationCode
                server.oauth.authorizationURL = ProviderPresets.Microsoft.authorizationURL
                server.oauth.tokenURL = ProviderPresets.Microsoft.tokenURL
                server.oauth.scopes = ProviderPresets.Microsoft.delegatedScopes
                server.rateLimitPerMinute = UInt32(ProviderPresets.Microsoft.messagesPerMinute)
                server.maxConnections = UInt32(ProviderPresets.Microsoft.concurrentConnections)
                server.dailyRecipientLimit = UInt32(ProviderPresets.Microsoft.recipientsPerDay)
            case .google:
                server.host = ProviderPresets.Google.host
                server.authType = .oauth2
                server.oauth.provider = .google
                server.oauth.flow = .authorizationCode
                server.oauth.authorizationURL = ProviderPresets.Google.authorizationURL
                server.oauth.tokenURL = ProviderPresets.Google.tokenURL
                server.oauth.scopes = ProviderPresets.Google.scopes
            case .basic:
                server.authType = .basic
            }
            return server
        }
    }

    static let securityValues: [(String, Mailgate_V1_Security, String)] = [
        ("starttls", .starttls, "security_starttls"), ("tls", .tls, "security_tls"),
        ("opportunistic", .opportunistic, "security_opportunistic"), ("none", .none, "security_none"),
    ]
    static let authValues: [(String, Mailgate_V1_AuthType, String)] = [
        ("none", .none, "auth_none"), ("basic", .basic, "auth_basic"), ("oauth2", .oauth2, "auth_oauth2"),
    ]
    static let providerValues: [(String, Mailgate_V1_OAuthProvider, String)] = [
        ("microsoft", .microsoft, "provider_microsoft"), ("google", .google, "provider_google"),
        ("generic", .generic, "provider_generic"),
    ]
    static let flowValues: [(String, Mailgate_V1_OAuthFlow, String)] = [
        ("authorization_code", .authorizationCode, "flow_authorization_code"),
        ("client_credentials", .clientCredentials, "flow_client_credentials"),
    ]
    static let uncertainValues: [(String, Mailgate_V1_UncertainPolicy, String)] = [
        ("retry", .retry, "uncertain_retry"), ("fail", .fail, "uncertain_fail"),
    ]

    /// The submitted form as a put, and what in it is not even a number where one belongs
    /// (everything else the put's own rules check). An empty secret field leaves the stored
    /// secret as it is; its "clear" box removes it. The secret's expiry date is sent only when
    /// it was changed, so a date the console merely showed (estimated, or read from the
    /// provider) stays what it is.
    static func request(from form: FormBody, tenant: String) -> (
        Mailgate_V1_PutServerRequest, [RPCError.FieldViolation]
    ) {
        var violations: [RPCError.FieldViolation] = []
        func number(_ field: String) -> UInt32 {
            let text = form[field].trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return 0 }
            guard let value = UInt32(text) else {
                violations.append(.init(field: field, description: "must be a whole number"))
                return 0
            }
            return value
        }
        var request = Mailgate_V1_PutServerRequest()
        request.tenant = tenant
        request.name = form["name"].trimmingCharacters(in: .whitespaces)
        request.host = form["host"].trimmingCharacters(in: .whitespaces)
        request.port = number("port")
        request.security = Self.value(form["security"], in: Self.securityValues) ?? .unspecified
        request.senderName = form["sender_name"]
        request.senderAddress = form["sender_address"].trimmingCharacters(in: .whitespaces)
        request.isDefault = form.isChecked("is_default")
        request.authType = Self.value(form["auth_type"], in: Self.authValues) ?? .unspecified
        request.username = form["username"].trimmingCharacters(in: .whitespaces)
        request.allowPlaintextAuth = form.isChecked("allow_plaintext_auth")
        request.rateLimitPerMinute = number("rate_limit_per_minute")
        request.maxConnections = number("max_connections")
        request.dailyRecipientLimit = number("daily_recipient_limit")
        request.uncertainPolicy = Self.value(form["uncertain_policy"], in: Self.uncertainValues) ?? .unspecified
        request.expectedVersion = UInt64(form["expected_version"]) ?? 0
        if let password = Self.secret("password", in: form) { request.password = password }
        if request.authType == .oauth2 {
            var oauth = Mailgate_V1_OAuthSettings()
            oauth.provider = Self.value(form["provider"], in: Self.providerValues) ?? .unspecified
            oauth.flow = Self.value(form["flow"], in: Self.flowValues) ?? .unspecified
            oauth.clientID = form["client_id"].trimmingCharacters(in: .whitespaces)
            oauth.directoryID = form["directory_id"].trimmingCharacters(in: .whitespaces)
            oauth.authorizationURL = form["authorization_url"].trimmingCharacters(in: .whitespaces)
            oauth.tokenURL = form["token_url"].trimmingCharacters(in: .whitespaces)
            oauth.scopes = form["scopes"].split(whereSeparator: \.isWhitespace).map(String.init)
            request.oauth = oauth
            request.discoverSecretExpiry = form.isChecked("discover_secret_expiry")
            if let secret = Self.secret("client_secret", in: form) { request.clientSecret = secret }
            if let token = Self.secret("refresh_token", in: form) { request.refreshToken = token }
            let day = form["client_secret_expires_at"]
            if day != form["client_secret_expires_at_shown"], let expiry = Formatting.endOfDay(day) {
                request.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: expiry)
            }
        }
        return (request, violations)
    }

    private static func secret(_ field: String, in form: FormBody) -> Mailgate_V1_SecretInput? {
        var input = Mailgate_V1_SecretInput()
        if !form[field].isEmpty {
            input.value = form[field]
        } else if form.isChecked("clear_\(field)") {
            input.clear = true
        } else {
            return nil
        }
        return input
    }

    private static func value<Value>(_ text: String, in values: [(String, Value, String)]) -> Value? {
        values.first { $0.0 == text }?.1
    }

    /// What the form template shows for `server` (stored, preset, or a failed submission).
    static func values(of server: Mailgate_V1_OutputServer, isNew: Bool, language: Language) -> [String: Any] {
        func options<Value: Equatable>(_ values: [(String, Value, String)], selected: Value) -> [[String: Any]] {
            values.map { ["value": $0.0, "label": language.text($0.2), "selected": $0.1 == selected] }
        }
        return [
            "isNew": isNew,
            "storedName": isNew ? "" : server.name,
            "storedNameURL": isNew ? "" : URLPath.segment(server.name),
            "name": server.name,
            "version": server.version,
            "host": server.host,
            "port": server.port == 0 ? "" : "\(server.port)",
            "senderName": server.senderName,
            "senderAddress": server.senderAddress,
            "isDefault": server.isDefault,
            "username": server.username,
            "clientID": server.oauth.clientID,
            "directoryID": server.oauth.directoryID,
            "authorizationURL": server.oauth.authorizationURL,
            "tokenURL": server.oauth.tokenURL,
            "scopes": server.oauth.scopes.joined(separator: " "),
            "clientSecretExpiresAt": Formatting.day(
                server.clientSecret.hasExpiresAt ? server.clientSecret.expiresAt : nil
            ),
            "discoverExpiry": server.discoverSecretExpiry,
            "rateLimit": server.rateLimitPerMinute == 0 ? "" : "\(server.rateLimitPerMinute)",
            "maxConnections": server.maxConnections == 0 ? "" : "\(server.maxConnections)",
            "dailyRecipients": server.dailyRecipientLimit == 0 ? "" : "\(server.dailyRecipientLimit)",
            "allowPlaintextAuth": server.allowPlaintextAuth,
            "securityOptions": options(Self.securityValues, selected: server.security),
            "authOptions": options(Self.authValues, selected: server.authType),
            "providerOptions": options(Self.providerValues, selected: server.oauth.provider),
            "flowOptions": options(Self.flowValues, selected: server.oauth.flow),
            "uncertainOptions": options(Self.uncertainValues, selected: server.uncertainPolicy),
            "password": Self.secretField("password", "password", server.password, language: language)
                .merging(["shownFor": "basic"]) { _, new in new },
            "clientSecret": Self.secretField("client_secret", "client_secret", server.clientSecret, language: language),
            "refreshToken": Self.secretField("refresh_token", "refresh_token", server.refreshToken, language: language),
            "checkNames": ValidationChecks.names.map { ["key": $0, "label": language.text("check_\($0)")] },
        ]
    }

    static func secretField(_ field: String, _ labelKey: String, _ state: Mailgate_V1_SecretState, language: Language)
        -> [String: Any]
    {
        [
            "field": field, "label": language.text(labelKey), "isSet": state.isSet,
            "state": Self.stateText(state, language),
        ]
    }

    /// "Set on …, expires …" or "Not set": everything the console says about a secret.
    static func stateText(_ state: Mailgate_V1_SecretState, _ language: Language) -> String {
        guard state.isSet else { return language.text("secret_not_set") }
        var text =
            state.hasSetAt
            ? language.text("secret_set_on", ["date": Formatting.date(state.setAt)]) : language.text("secret_set")
        if state.hasExpiresAt {
            text += " · " + language.text("secret_expires_on", ["date": Formatting.date(state.expiresAt)])
        }
        return text
    }
}
