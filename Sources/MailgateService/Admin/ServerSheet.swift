import Foundation
import MailgateCore
import MailgateProto
import MailgateSheets
import MailgateStore
import SwiftProtobuf

/// The server sheet operators export, fill in and import: one column per field of
/// PutServer, the secrets only in the template (for import) and never with values.
/// A row becomes a `PutServerRequest`, so an import is checked exactly as PutServer is.
enum ServerSheet {
    struct Column: Sendable {
        let header: String
        let meaning: String
        let choices: [String]
        let width: Double
        let isSecret: Bool
        /// PutServer's names for this column's field, for mapping its violations back.
        let fields: [String]
        let value: @Sendable (ServerRecord) -> String
        /// Fills the request from the cell; returns what is wrong with the cell, if anything.
        let apply: @Sendable (String, inout Mailgate_V1_PutServerRequest) -> String?
    }

    static let secretSuffix = " (import only, never exported)"

    static let columns: [Column] = [
        Column(
            header: "Name",
            meaning:
                "The server's name in the tenant (required). Rows are matched to servers by it: an existing name is updated, a new one created.",
            choices: [],
            width: 18,
            isSecret: false,
            fields: ["name"],
            value: { $0.definition.name },
            apply: { cell, request in
                request.name = cell; return nil
            }
        ),
        Column(
            header: "Host",
            meaning: "SMTP host name or IP address, e.g. smtp.office365.com.",
            choices: [],
            width: 26,
            isSecret: false,
            fields: ["host"],
            value: { $0.definition.host },
            apply: { cell, request in
                request.host = cell; return nil
            }
        ),
        Column(
            header: "Port",
            meaning: "SMTP port: 587 (STARTTLS), 465 (TLS) or 25; empty takes the usual port of the security.",
            choices: [],
            width: 8,
            isSecret: false,
            fields: ["port"],
            value: { String($0.definition.port) },
            apply: { cell, request in
                number(cell, limit: 65535).map {
                    request.port = $0; return nil
                } ?? "must be a whole number from 1 to 65535"
            }
        ),
        Column(
            header: "Security",
            meaning:
                "How the connection is protected: starttls, tls, none (plaintext, inside a trusted network), or opportunistic (STARTTLS if offered; servers without authentication only).",
            choices: ConnectionSecurity.allCases.map(\.rawValue),
            width: 11,
            isSecret: false,
            fields: ["security"],
            value: { $0.definition.security?.rawValue ?? "" },
            apply: { cell, request in
                choice(cell, ConnectionSecurity.self).map { value in
                    request.security = value.map { Mailgate_V1_Security($0) } ?? .unspecified
                    return nil
                } ?? "must be one of: none, starttls, tls, opportunistic"
            }
        ),
        Column(
            header: "Sender name",
            meaning: "Display name of the sender, e.g. Acme Billing.",
            choices: [],
            width: 18,
            isSecret: false,
            fields: ["sender_name"],
            value: { $0.definition.senderName },
            apply: { cell, request in
                request.senderName = cell; return nil
            }
        ),
        Column(
            header: "Sender address",
            meaning: "The From address mail is sent with (required).",
            choices: [],
            width: 26,
            isSecret: false,
            fields: ["sender_address"],
            value: { $0.definition.senderAddress },
            apply: { cell, request in
                request.senderAddress = cell; return nil
            }
        ),
        Column(
            header: "Authentication",
            meaning: "none, basic (username and password) or oauth2 (Microsoft 365, Google or a generic provider).",
            choices: AuthenticationType.allCases.map(\.rawValue),
            width: 14,
            isSecret: false,
            fields: ["auth_type", "oauth"],
            value: { $0.definition.authType?.rawValue ?? "" },
            apply: { cell, request in
                choice(cell, AuthenticationType.self).map { value in
                    request.authType = value.map { Mailgate_V1_AuthType($0) } ?? .unspecified
                    return nil
                } ?? "must be one of: none, basic, oauth2"
            }
        ),
        Column(
            header: "Username",
            meaning: "Login for basic authentication; for oauth2 the mailbox, the same as the sender address.",
            choices: [],
            width: 24,
            isSecret: false,
            fields: ["username"],
            value: { $0.definition.username },
            apply: { cell, request in
                request.username = cell; return nil
            }
        ),
        Column(
            header: "Allow plaintext auth",
            meaning: "yes to send a password over a connection without TLS (security none); otherwise no.",
            choices: ["yes", "no"],
            width: 10,
            isSecret: false,
            fields: ["allow_plaintext_auth"],
            value: { yesNo($0.definition.allowPlaintextAuth) },
            apply: { cell, request in
                flag(cell).map {
                    request.allowPlaintextAuth = $0; return nil
                } ?? "must be yes or no"
            }
        ),
        Column(
            header: "OAuth provider",
            meaning: "oauth2 only: microsoft, google or generic; microsoft and google fill host, port and URLs.",
            choices: OAuthProviderKind.allCases.map(\.rawValue),
            width: 12,
            isSecret: false,
            fields: ["oauth.provider"],
            value: { $0.definition.oauth?.provider?.rawValue ?? "" },
            apply: { cell, request in
                choice(cell, OAuthProviderKind.self).map { value in
                    if let value { request.oauth.provider = Mailgate_V1_OAuthProvider(value) }
                    return nil
                } ?? "must be one of: microsoft, google, generic"
            }
        ),
        Column(
            header: "OAuth flow",
            meaning:
                "oauth2 only: client_credentials (app-only, Microsoft) or authorization_code (consent once, then refresh tokens).",
            choices: OAuthGrantFlow.allCases.map(\.rawValue),
            width: 18,
            isSecret: false,
            fields: ["oauth.flow"],
            value: { $0.definition.oauth?.flow?.rawValue ?? "" },
            apply: { cell, request in
                choice(cell, OAuthGrantFlow.self).map { value in
                    if let value { request.oauth.flow = Mailgate_V1_OAuthFlow(value) }
                    return nil
                } ?? "must be one of: authorization_code, client_credentials"
            }
        ),
        Column(
            header: "OAuth client ID",
            meaning: "oauth2 only: the application (client) id.",
            choices: [],
            width: 38,
            isSecret: false,
            fields: ["oauth.client_id"],
            value: { $0.definition.oauth?.clientID ?? "" },
            apply: { cell, request in
                if !cell.isEmpty { request.oauth.clientID = cell }; return nil
            }
        ),
        Column(
            header: "OAuth directory ID",
            meaning: "Microsoft only: the Azure AD tenant (directory) id or domain.",
            choices: [],
            width: 38,
            isSecret: false,
            fields: ["oauth.directory_id"],
            value: { $0.definition.oauth?.directoryID ?? "" },
            apply: { cell, request in
                if !cell.isEmpty { request.oauth.directoryID = cell }; return nil
            }
        ),
        Column(
            header: "OAuth authorization URL",
            meaning: "oauth2 with a generic provider: the authorization endpoint (presets fill it).",
            choices: [],
            width: 30,
            isSecret: false,
            fields: ["oauth.authorization_url"],
            value: { $0.definition.oauth?.authorizationURL ?? "" },
            apply: { cell, request in
                if !cell.isEmpty { request.oauth.authorizationURL = cell }; return nil
            }
        ),
        Column(
            header: "OAuth token URL",
            meaning: "oauth2 with a generic provider: the token endpoint (presets fill it).",
            choices: [],
            width: 30,
            isSecret: false,
            fields: ["oauth.token_url"],
            value: { $0.definition.oauth?.tokenURL ?? "" },
            apply: { cell, request in
                if !cell.isEmpty { request.oauth.tokenURL = cell }; return nil
            }
        ),
        Column(
            header: "OAuth scopes",
            meaning: "oauth2 only: scopes separated by spaces (presets fill them).",
            choices: [],
            width: 30,
            isSecret: false,
            fields: ["oauth.scopes"],
            value: { $0.definition.oauth?.scopes.joined(separator: " ") ?? "" },
            apply: { cell, request in
                let scopes = cell.split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline }).map(String.init)
                if !scopes.isEmpty { request.oauth.scopes = scopes }
                return nil
            }
        ),
        Column(
            header: "Discover secret expiry",
            meaning:
                "Microsoft only: yes to read the client secret's end date from Microsoft Graph (needs Application.Read.All).",
            choices: ["yes", "no"],
            width: 10,
            isSecret: false,
            fields: ["discover_secret_expiry"],
            value: { yesNo($0.definition.discoverSecretExpiry) },
            apply: { cell, request in
                flag(cell).map {
                    request.discoverSecretExpiry = $0; return nil
                } ?? "must be yes or no"
            }
        ),
        Column(
            header: "Client secret expires",
            meaning:
                "oauth2 only: when the client secret expires, YYYY-MM-DD, if you know it. Empty: estimated (24 months after it is stored).",
            choices: [],
            width: 14,
            isSecret: false,
            fields: ["client_secret_expires_at"],
            value: { server in
                guard server.clientSecret.expirySource == .operator, let date = server.clientSecret.expiresAt else {
                    return ""
                }
                return date.formatted(.iso8601.year().month().day())
            },
            apply: { cell, request in
                guard !cell.isEmpty else { return nil }
                guard let date = day(cell) else { return "must be a date, YYYY-MM-DD" }
                request.clientSecretExpiresAt = .init(date: date)
                return nil
            }
        ),
        Column(
            header: "Rate limit per minute",
            meaning: "Messages a minute across all replicas; 0 or empty: unlimited (Microsoft 365 allows 30).",
            choices: [],
            width: 10,
            isSecret: false,
            fields: ["rate_limit_per_minute"],
            value: { String($0.definition.rateLimitPerMinute) },
            apply: { cell, request in
                number(cell).map {
                    request.rateLimitPerMinute = $0; return nil
                } ?? "must be a whole number, 0 for unlimited"
            }
        ),
        Column(
            header: "Max connections",
            meaning: "Concurrent SMTP connections across replicas; 0 or empty: unlimited (Microsoft 365 allows 3).",
            choices: [],
            width: 10,
            isSecret: false,
            fields: ["max_connections"],
            value: { String($0.definition.maxConnections) },
            apply: { cell, request in
                number(cell).map {
                    request.maxConnections = $0; return nil
                } ?? "must be a whole number, 0 for unlimited"
            }
        ),
        Column(
            header: "Daily recipient limit",
            meaning: "Recipients per rolling 24 hours; 0 or empty: unlimited (Microsoft 365 allows 10000).",
            choices: [],
            width: 10,
            isSecret: false,
            fields: ["daily_recipient_limit"],
            value: { String($0.definition.dailyRecipientLimit) },
            apply: { cell, request in
                number(cell).map {
                    request.dailyRecipientLimit = $0; return nil
                } ?? "must be a whole number, 0 for unlimited"
            }
        ),
        Column(
            header: "Uncertain policy",
            meaning:
                "When a server may have taken a message without confirming it: retry (never lose it) or fail (never send twice).",
            choices: UncertainPolicy.allCases.map(\.rawValue),
            width: 10,
            isSecret: false,
            fields: ["uncertain_policy"],
            value: { $0.definition.uncertainPolicy.rawValue },
            apply: { cell, request in
                choice(cell, UncertainPolicy.self).map { value in
                    request.uncertainPolicy = value == .fail ? .fail : value == .retry ? .retry : .unspecified
                    return nil
                } ?? "must be retry or fail"
            }
        ),
        Column(
            header: "Default",
            meaning:
                "yes makes this the tenant's default server (used when SendMail names none); no leaves the default where it is.",
            choices: ["yes", "no"],
            width: 9,
            isSecret: false,
            fields: ["is_default"],
            value: { yesNo($0.definition.isDefault) },
            apply: { cell, request in
                flag(cell).map {
                    request.isDefault = $0; return nil
                } ?? "must be yes or no"
            }
        ),
        Column(
            header: "Password",
            meaning:
                "Basic authentication: the password. Import only: exports never contain it. Empty keeps the stored one.",
            choices: [],
            width: 18,
            isSecret: true,
            fields: ["password"],
            value: { _ in "" },
            apply: { cell, request in
                if !cell.isEmpty { request.password.value = cell }; return nil
            }
        ),
        Column(
            header: "Client secret",
            meaning: "oauth2: the client secret. Import only: exports never contain it. Empty keeps the stored one.",
            choices: [],
            width: 18,
            isSecret: true,
            fields: ["client_secret"],
            value: { _ in "" },
            apply: { cell, request in
                if !cell.isEmpty { request.clientSecret.value = cell }; return nil
            }
        ),
        Column(
            header: "Refresh token",
            meaning:
                "oauth2 authorization_code: a refresh token, if you have one (else run the consent). Import only. Empty keeps the stored one.",
            choices: [],
            width: 18,
            isSecret: true,
            fields: ["refresh_token"],
            value: { _ in "" },
            apply: { cell, request in
                if !cell.isEmpty { request.refreshToken.value = cell }; return nil
            }
        ),
    ]

    /// The header as written: secret columns only in the template, marked as import only.
    static func header(template: Bool) -> [String] {
        self.columns.filter { template || !$0.isSecret }.map { $0.isSecret ? $0.header + self.secretSuffix : $0.header }
    }

    /// The "Servers" sheet and the "Columns" sheet that explains it.
    static func sheets(_ servers: [ServerRecord], template: Bool) -> [Sheet] {
        let columns = self.columns.filter { template || !$0.isSecret }
        var choices: [Int: [String]] = [:]
        for (index, column) in columns.enumerated() where !column.choices.isEmpty { choices[index] = column.choices }
        let servers = Sheet(
            name: "Servers",
            rows: [self.header(template: template)]
                + (template ? [] : servers.map { server in columns.map { $0.value(server) } }),
            columnWidths: columns.map(\.width),
            choices: choices
        )
        let explanation = Sheet(
            name: "Columns",
            rows: [["Column", "What it holds", "Values"]]
                + self.columns.map { column in
                    [
                        column.isSecret ? column.header + self.secretSuffix : column.header, column.meaning,
                        column.choices.joined(separator: ", "),
                    ]
                } + [
                    [
                        "",
                        "Secrets are never exported. Their columns appear only in the template, for import; an empty secret cell keeps what is stored.",
                        "",
                    ]
                ],
            columnWidths: [30, 100, 36]
        )
        return [servers, explanation]
    }

    /// Which column each header cell names. Every non-secret column must be there (an
    /// import puts whole servers); the secret ones are optional.
    static func columnsByPosition(_ header: [String]) throws(ValidationError) -> [Int: Column] {
        var found: [Int: Column] = [:]
        var violations: [Violation] = []
        for (index, text) in header.enumerated() {
            let key = self.key(text)
            guard !key.isEmpty else { continue }
            // Named by position, never by its text: a data row taken for the header may hold a secret.
            guard let column = self.columns.first(where: { self.key($0.header) == key }) else {
                violations.append(
                    Violation("column \(CellReference.columnName(index))", "is not a column of the server sheet")
                )
                continue
            }
            if found.values.contains(where: { $0.header == column.header }) {
                violations.append(
                    Violation(column.header, "appears twice (again in column \(CellReference.columnName(index)))")
                )
            }
            found[index] = column
        }
        for column in self.columns
        where !column.isSecret && !found.values.contains(where: { $0.header == column.header }) {
            violations.append(Violation(column.header, "column is missing"))
        }
        guard violations.isEmpty else {
            throw ValidationError(
                "The first row is not the server sheet's header; export the template (mailgate server export --template) and fill that in.",
                violations: violations
            )
        }
        return found
    }

    /// A header cell compared without case, extra spaces or the "(import only …)" note.
    private static func key(_ header: String) -> String {
        let base = header.split(separator: "(", maxSplits: 1).first.map(String.init) ?? header
        return base.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The PutServer request a row stands for, and what is wrong with its cells.
    static func request(_ row: SheetRow, columns: [Int: Column]) -> (Mailgate_V1_PutServerRequest, [Violation]) {
        var request = Mailgate_V1_PutServerRequest()
        var violations: [Violation] = []
        for (index, column) in columns.sorted(by: { $0.key < $1.key }) {
            let raw = index < row.cells.count ? row.cells[index] : ""
            // Secrets are taken as typed: spaces may be part of a password.
            let cell = column.isSecret ? raw : raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = column.apply(cell, &request) { violations.append(Violation(column.header, problem)) }
        }
        return (request, violations)
    }

    /// The column header for a PutServer violation's field (`oauth.client_id` → "OAuth client ID").
    static func header(forField field: String) -> String {
        self.columns.first { $0.fields.contains(field) }?.header ?? field
    }

    private static func number(_ cell: String, limit: UInt32 = .max) -> UInt32? {
        guard !cell.isEmpty else { return 0 }
        // Spreadsheets may store a typed number as 587.0.
        guard let value = Double(cell), value >= 0, value <= Double(limit), value.rounded() == value else { return nil }
        return UInt32(value)
    }

    /// `.some(nil)` for an empty cell, `.some(value)` for a listed one, nil otherwise.
    private static func choice<Value: RawRepresentable & CaseIterable>(_ cell: String, _ type: Value.Type) -> Value??
    where Value.RawValue == String {
        guard !cell.isEmpty else { return .some(nil) }
        return Value(rawValue: cell.lowercased()).map { .some($0) } ?? nil
    }

    private static func flag(_ cell: String) -> Bool? {
        switch cell.lowercased() {
        case "", "no", "n", "false", "0": false
        case "yes", "y", "true", "1": true
        default: nil
        }
    }

    private static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }

    /// A day as people type it (YYYY-MM-DD, or a full ISO 8601 time), or a spreadsheet's
    /// date serial number (days since 1899-12-30), at midnight UTC.
    private static func day(_ cell: String) -> Date? {
        if let serial = Int(cell), (1...2_958_465).contains(serial) {
            return Date(timeIntervalSince1970: Double(serial - 25_569) * 86_400)
        }
        if let date = try? Date(cell, strategy: .iso8601.year().month().day()) { return date }
        return try? Date(cell, strategy: .iso8601)
    }
}
