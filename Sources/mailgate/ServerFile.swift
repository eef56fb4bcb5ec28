import Foundation
import MailgateProto
import SwiftProtobuf
import Yams

/// An output server as written in a YAML or JSON file for `mailgate server put --file`.
/// Keys are the proto field names; secrets are never in the file (give them with
/// `--password-file`, `--client-secret-file`, `--refresh-token-file`).
struct ServerFile: Codable {
    struct OAuth: Codable {
        var provider: String?
        var flow: String?
        var client_id: String?
        var directory_id: String?
        var authorization_url: String?
        var token_url: String?
        var scopes: [String]?
    }

    var name: String?
    var host: String?
    var port: UInt32?
    var security: String?
    var sender_name: String?
    var sender_address: String?
    var auth_type: String?
    var username: String?
    var allow_plaintext_auth: Bool?
    var oauth: OAuth?
    var client_secret_expires_at: String?
    var rate_limit_per_minute: UInt32?
    var max_connections: UInt32?
    var daily_recipient_limit: UInt32?
    var uncertain_policy: String?
    var discover_secret_expiry: Bool?
    var is_default: Bool?

    /// Reads a `.json` file with JSON rules, anything else as YAML.
    static func load(path: String) throws -> ServerFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("Cannot read the server file \(path).")
        }
        do {
            let isJSON = path.lowercased().hasSuffix(".json")
            let untyped: Any? =
                isJSON
                ? try JSONSerialization.jsonObject(with: data)
                : try Yams.load(yaml: String(decoding: data, as: UTF8.self))
            try Self.refuseUnknownKeys(untyped, path: path)
            if isJSON {
                return try JSONDecoder().decode(ServerFile.self, from: data)
            }
            return try YAMLDecoder().decode(ServerFile.self, from: data)
        } catch let error as CLIError {
            throw error
        } catch let error as DecodingError {
            throw CLIError("\(path): \(Self.explain(error))")
        } catch {
            throw CLIError("\(path) is not valid YAML or JSON: \(error)")
        }
    }

    static let fields: Set<String> = [
        "name", "host", "port", "security", "sender_name", "sender_address", "auth_type", "username",
        "allow_plaintext_auth", "oauth", "client_secret_expires_at", "rate_limit_per_minute", "is_default",
        "max_connections", "daily_recipient_limit", "uncertain_policy", "discover_secret_expiry",
    ]
    static let oauthFields: Set<String> = [
        "provider", "flow", "client_id", "directory_id", "authorization_url", "token_url", "scopes",
    ]
    static let secretFields: Set<String> = ["password", "client_secret", "refresh_token"]

    /// A misspelt key would silently reset that field (a put sets every field): refuse it,
    /// and refuse secrets, which belong in their own files.
    private static func refuseUnknownKeys(_ document: Any?, path: String) throws {
        guard let top = document as? [String: Any] else {
            throw CLIError("\(path) must be a mapping of server fields.")
        }
        for key in top.keys where !self.fields.contains(key) {
            if self.secretFields.contains(key) {
                throw CLIError(
                    "\(path): \(key) does not belong in the file: use --\(key.replacingOccurrences(of: "_", with: "-"))-file."
                )
            }
            throw CLIError("\(path): unknown field \(key) (known: \(self.fields.sorted().joined(separator: ", "))).")
        }
        if let oauth = top["oauth"] {
            guard let oauth = oauth as? [String: Any] else { throw CLIError("\(path): oauth must be a mapping.") }
            for key in oauth.keys where !self.oauthFields.contains(key) {
                throw CLIError(
                    "\(path): unknown field oauth.\(key) (known: \(self.oauthFields.sorted().joined(separator: ", ")))."
                )
            }
        }
    }

    private static func explain(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(path.isEmpty ? "" : path + ": ")\(context.debugDescription)"
        case .keyNotFound(let key, _):
            return "missing \(key.stringValue)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Applies the file's values to `request`.
    func apply(to request: inout Mailgate_V1_PutServerRequest) throws {
        if let name { request.name = name }
        if let host { request.host = host }
        if let port { request.port = port }
        if let security { request.security = try parseSecurity(security) }
        if let sender_name { request.senderName = sender_name }
        if let sender_address { request.senderAddress = sender_address }
        if let auth_type { request.authType = try parseAuthType(auth_type) }
        if let username { request.username = username }
        if let allow_plaintext_auth { request.allowPlaintextAuth = allow_plaintext_auth }
        if let rate_limit_per_minute { request.rateLimitPerMinute = rate_limit_per_minute }
        if let max_connections { request.maxConnections = max_connections }
        if let daily_recipient_limit { request.dailyRecipientLimit = daily_recipient_limit }
        if let uncertain_policy { request.uncertainPolicy = try parseUncertainPolicy(uncertain_policy) }
        if let discover_secret_expiry { request.discoverSecretExpiry = discover_secret_expiry }
        if let is_default { request.isDefault = is_default }
        if let client_secret_expires_at { request.clientSecretExpiresAt = try parseExpiry(client_secret_expires_at) }
        if let oauth {
            if let provider = oauth.provider { request.oauth.provider = try parseProvider(provider) }
            if let flow = oauth.flow { request.oauth.flow = try parseFlow(flow) }
            if let value = oauth.client_id { request.oauth.clientID = value }
            if let value = oauth.directory_id { request.oauth.directoryID = value }
            if let value = oauth.authorization_url { request.oauth.authorizationURL = value }
            if let value = oauth.token_url { request.oauth.tokenURL = value }
            if let value = oauth.scopes { request.oauth.scopes = value }
        }
    }
}

func parseSecurity(_ text: String) throws -> Mailgate_V1_Security {
    switch text.lowercased() {
    case "none": return .none
    case "starttls": return .starttls
    case "tls", "ssl": return .tls
    case "opportunistic": return .opportunistic
    default: throw CLIError("Unknown security \(text): use none, starttls, tls or opportunistic.")
    }
}

func parseAuthType(_ text: String) throws -> Mailgate_V1_AuthType {
    switch text.lowercased() {
    case "none": return .none
    case "basic": return .basic
    case "oauth2": return .oauth2
    default: throw CLIError("Unknown auth type \(text): use none, basic or oauth2.")
    }
}

func parseProvider(_ text: String) throws -> Mailgate_V1_OAuthProvider {
    switch text.lowercased() {
    case "microsoft": return .microsoft
    case "google": return .google
    case "generic": return .generic
    default: throw CLIError("Unknown OAuth provider \(text): use microsoft, google or generic.")
    }
}

func parseFlow(_ text: String) throws -> Mailgate_V1_OAuthFlow {
    switch text.lowercased() {
    case "authorization_code", "authorization-code": return .authorizationCode
    case "client_credentials", "client-credentials": return .clientCredentials
    default: throw CLIError("Unknown OAuth flow \(text): use authorization_code or client_credentials.")
    }
}

/// The names `parseFlow` reads, as the CLI prints them.
func name(_ flow: Mailgate_V1_OAuthFlow) -> String {
    switch flow {
    case .authorizationCode: "authorization_code"
    case .clientCredentials: "client_credentials"
    default: "-"
    }
}

/// The names `parseProvider` reads.
func name(_ provider: Mailgate_V1_OAuthProvider) -> String {
    switch provider {
    case .microsoft: "microsoft"
    case .google: "google"
    case .generic: "generic"
    default: "-"
    }
}

/// Where a client secret's expiry date came from.
func name(_ source: Mailgate_V1_ExpirySource) -> String {
    switch source {
    case .operator: "operator"
    case .estimated: "estimated"
    case .provider: "provider"
    default: "-"
    }
}

func parseUncertainPolicy(_ text: String) throws -> Mailgate_V1_UncertainPolicy {
    switch text.lowercased() {
    case "retry": return .retry
    case "fail": return .fail
    default: throw CLIError("Unknown uncertain policy \(text): use retry or fail.")
    }
}

/// A date `YYYY-MM-DD` (end of that day, UTC) or a full ISO 8601 time.
func parseExpiry(_ text: String) throws -> Google_Protobuf_Timestamp {
    if let date = try? Date(text, strategy: .iso8601) { return Google_Protobuf_Timestamp(date: date) }
    if let day = try? Date("\(text)T23:59:59Z", strategy: .iso8601) { return Google_Protobuf_Timestamp(date: day) }
    throw CLIError("\(text) is not a date: use YYYY-MM-DD or an ISO 8601 time.")
}
