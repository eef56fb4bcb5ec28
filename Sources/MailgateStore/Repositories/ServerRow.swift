import Foundation
import MailgateCore
import PostgresNIO

/// Reading `output_servers` rows into `ServerRecord`s.
enum ServerRow {
    static let columns = """
        id, tenant_id, name, host, port, security, sender_name, sender_address, auth_type, username,
        allow_plaintext_auth, oauth_provider, oauth_flow, client_id, directory_id, authorization_url,
        token_url, scopes, password_sealed, password_set_at, client_secret_sealed, client_secret_set_at,
        client_secret_expires_at, client_secret_expiry_source, refresh_token_sealed, refresh_token_set_at,
        access_token_sealed, access_token_set_at, access_token_expires_at, rate_limit_per_minute,
        max_connections, daily_recipient_limit, uncertain_policy, is_default, version, last_validation, last_validation_ok, last_validated_at, created_at, updated_at,
        access_token_scopes, token_failure_reason, token_failure_detail, token_failures, token_failed_at, token_retry_at,
        discover_secret_expiry, secret_discovery_problem
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [ServerRecord] {
        var records: [ServerRecord] = []
        for try await row in rows {
            records.append(try self.record(row.makeRandomAccess()))
        }
        return records
    }

    static func record(_ row: PostgresRandomAccessRow) throws -> ServerRecord {
        func text(_ name: String) throws -> String { try row[name].decode(String.self) }
        func optionalText(_ name: String) throws -> String? { try row[name].decode(String?.self) }
        func date(_ name: String) throws -> Date? { try row[name].decode(Date?.self) }

        var oauth: ServerDefinition.OAuth?
        if let provider = try optionalText("oauth_provider") {
            oauth = ServerDefinition.OAuth(
                provider: OAuthProviderKind(rawValue: provider),
                flow: try optionalText("oauth_flow").flatMap(OAuthGrantFlow.init(rawValue:)),
                clientID: try text("client_id"),
                directoryID: try text("directory_id"),
                authorizationURL: try text("authorization_url"),
                tokenURL: try text("token_url"),
                scopes: try row["scopes"].decode([String].self)
            )
        }
        let definition = ServerDefinition(
            name: try text("name"),
            host: try text("host"),
            port: try row["port"].decode(Int.self),
            security: ConnectionSecurity(rawValue: try text("security")),
            senderName: try text("sender_name"),
            senderAddress: try text("sender_address"),
            authType: AuthenticationType(rawValue: try text("auth_type")),
            username: try text("username"),
            allowPlaintextAuth: try row["allow_plaintext_auth"].decode(Bool.self),
            oauth: oauth,
            rateLimitPerMinute: try row["rate_limit_per_minute"].decode(Int.self),
            maxConnections: try row["max_connections"].decode(Int.self),
            dailyRecipientLimit: try row["daily_recipient_limit"].decode(Int.self),
            uncertainPolicy: UncertainPolicy(rawValue: try text("uncertain_policy")) ?? .retry,
            discoverSecretExpiry: try row["discover_secret_expiry"].decode(Bool.self),
            isDefault: try row["is_default"].decode(Bool.self)
        )
        var sealed: [SecretColumn: String] = [:]
        for column in SecretColumn.allCases {
            sealed[column] = try optionalText("\(column.rawValue)_sealed")
        }
        func metadata(_ column: SecretColumn) throws -> SecretMetadata {
            SecretMetadata(isSet: sealed[column] != nil, setAt: try date("\(column.rawValue)_set_at"))
        }
        var clientSecret = try metadata(.clientSecret)
        clientSecret.expiresAt = try date("client_secret_expires_at")
        clientSecret.expirySource = try optionalText("client_secret_expiry_source").flatMap(
            ExpiryDateSource.init(rawValue:)
        )
        var accessToken = try metadata(.accessToken)
        accessToken.expiresAt = try date("access_token_expires_at")
        return ServerRecord(
            id: try row["id"].decode(UUID.self),
            tenantID: try row["tenant_id"].decode(UUID.self),
            definition: definition,
            password: try metadata(.password),
            clientSecret: clientSecret,
            refreshToken: try metadata(.refreshToken),
            accessToken: accessToken,
            version: try row["version"].decode(Int64.self),
            lastValidation: try text("last_validation"),
            lastValidationOK: try row["last_validation_ok"].decode(Bool?.self),
            lastValidatedAt: try date("last_validated_at"),
            createdAt: try row["created_at"].decode(Date.self),
            updatedAt: try row["updated_at"].decode(Date.self),
            tokenState: TokenState(
                scopes: try row["access_token_scopes"].decode([String].self),
                failureReason: TokenFailureReason(rawValue: try text("token_failure_reason")),
                failureDetail: try text("token_failure_detail"),
                failures: try row["token_failures"].decode(Int.self),
                failedAt: try date("token_failed_at"),
                retryAt: try date("token_retry_at")
            ),
            secretDiscoveryProblem: try text("secret_discovery_problem"),
            sealed: sealed
        )
    }
}
