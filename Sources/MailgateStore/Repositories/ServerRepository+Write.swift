import Foundation
import Logging
import MailgateCore
import PostgresNIO

extension ServerRepository {
    /// A sealed secret column as it will be written.
    struct SealedColumn {
        var sealed: String?
        var setAt: Date?
    }

    /// The secret columns of a put, sealed, with the client secret's expiry.
    struct SealedWrite {
        var columns: [SecretColumn: SealedColumn] = [:]
        var clientSecretExpiresAt: Date?
        var clientSecretExpirySource: ExpiryDateSource?
        var accessTokenExpiresAt: Date?
        /// Names of the secrets this put sets or clears (for the audit event; never values).
        var changedSecrets: [String] = []
        /// New credentials or OAuth settings: forget the last token failure and try again at once.
        var resetsTokenState = false
    }

    /// How long Microsoft lets a client secret live at most: the estimate when the operator gives no date.
    static let estimatedClientSecretLifetime = DateComponents(month: 24)

    func sealedWrite(
        id: UUID,
        tenantID: UUID,
        existing: ServerRecord?,
        definition: ServerDefinition,
        changes: SecretChanges,
        now: Date
    ) -> SealedWrite {
        var write = SealedWrite()
        let location = { (column: SecretColumn) in
            SecretLocation(tenantID: tenantID, serverID: id, column: column)
        }
        let inputs: [(SecretColumn, SecretChange)] = [
            (.password, changes.password), (.clientSecret, changes.clientSecret), (.refreshToken, changes.refreshToken),
        ]
        for (column, change) in inputs {
            switch change {
            case .keep:
                write.columns[column] = SealedColumn(
                    sealed: existing?.sealed[column],
                    setAt: existing.flatMap { Self.metadata($0, column).setAt }
                )
            case .set(let secret):
                write.columns[column] = SealedColumn(sealed: self.vault.seal(secret, at: location(column)), setAt: now)
                write.changedSecrets.append(column.rawValue)
            case .clear:
                write.columns[column] = SealedColumn(sealed: nil, setAt: nil)
                if existing?.sealed[column] != nil { write.changedSecrets.append(column.rawValue) }
            }
        }
        switch changes.clientSecret {
        case .set:
            if let given = changes.clientSecretExpiresAt {
                (write.clientSecretExpiresAt, write.clientSecretExpirySource) = (given, .operator)
            } else {
                write.clientSecretExpiresAt = Calendar.utc.date(byAdding: Self.estimatedClientSecretLifetime, to: now)
                write.clientSecretExpirySource = .estimated
            }
        case .clear:
            break
        case .keep:
            if let given = changes.clientSecretExpiresAt {
                (write.clientSecretExpiresAt, write.clientSecretExpirySource) = (given, .operator)
                write.changedSecrets.append("client_secret_expires_at")
            } else {
                write.clientSecretExpiresAt = existing?.clientSecret.expiresAt
                write.clientSecretExpirySource = existing?.clientSecret.expirySource
            }
        }
        // A cached access token was issued for the old credentials and OAuth settings: drop it when they change.
        let credentialsChanged =
            write.changedSecrets.contains { $0 != "password" && $0 != "client_secret_expires_at" }
            || existing?.definition.oauth != definition.oauth || existing?.definition.username != definition.username
        if let existing, !credentialsChanged {
            write.columns[.accessToken] = SealedColumn(
                sealed: existing.sealed[.accessToken],
                setAt: existing.accessToken.setAt
            )
            write.accessTokenExpiresAt = existing.accessToken.expiresAt
        } else {
            write.columns[.accessToken] = SealedColumn(sealed: nil, setAt: nil)
            write.resetsTokenState = true
        }
        return write
    }

    static func metadata(_ record: ServerRecord, _ column: SecretColumn) -> SecretMetadata {
        switch column {
        case .password: record.password
        case .clientSecret: record.clientSecret
        case .refreshToken: record.refreshToken
        case .accessToken: record.accessToken
        }
    }

    func upsert(
        id: UUID,
        tenantID: UUID,
        definition: ServerDefinition,
        write: SealedWrite,
        existing: ServerRecord?,
        on connection: PostgresConnection
    ) async throws -> ServerRecord {
        let oauth = definition.authType == .oauth2 ? definition.oauth : nil
        let password = write.columns[.password], clientSecret = write.columns[.clientSecret]
        let refreshToken = write.columns[.refreshToken], accessToken = write.columns[.accessToken]
        let rows = try await connection.query(
            """
            INSERT INTO output_servers (
                id, tenant_id, name, host, port, security, sender_name, sender_address, auth_type, username,
                allow_plaintext_auth, oauth_provider, oauth_flow, client_id, directory_id, authorization_url,
                token_url, scopes, password_sealed, password_set_at, client_secret_sealed, client_secret_set_at,
                client_secret_expires_at, client_secret_expiry_source, refresh_token_sealed, refresh_token_set_at,
                access_token_sealed, access_token_set_at, access_token_expires_at, rate_limit_per_minute,
                max_connections, daily_recipient_limit, uncertain_policy, is_default, discover_secret_expiry
            ) VALUES (
                \(id), \(tenantID), \(definition.name), \(definition.host), \(definition.port),
                \(definition.security?.rawValue ?? "starttls"), \(definition.senderName), \(definition.senderAddress),
                \(definition.authType?.rawValue ?? "none"), \(definition.username), \(definition.allowPlaintextAuth),
                \(oauth?.provider?.rawValue), \(oauth?.flow?.rawValue), \(oauth?.clientID ?? ""), \(oauth?.directoryID ?? ""),
                \(oauth?.authorizationURL ?? ""), \(oauth?.tokenURL ?? ""), \(oauth?.scopes ?? []),
                \(password?.sealed), \(password?.setAt), \(clientSecret?.sealed), \(clientSecret?.setAt),
                \(write.clientSecretExpiresAt), \(write.clientSecretExpirySource?.rawValue),
                \(refreshToken?.sealed), \(refreshToken?.setAt),
                \(accessToken?.sealed), \(accessToken?.setAt), \(write.accessTokenExpiresAt),
                \(definition.rateLimitPerMinute), \(definition.maxConnections), \(definition.dailyRecipientLimit),
                \(definition.uncertainPolicy.rawValue), \(definition.isDefault),
                \(definition.discoverSecretExpiry && definition.authType == .oauth2)
            )
            ON CONFLICT (id) DO UPDATE SET
                host = EXCLUDED.host, port = EXCLUDED.port, security = EXCLUDED.security,
                sender_name = EXCLUDED.sender_name, sender_address = EXCLUDED.sender_address,
                auth_type = EXCLUDED.auth_type, username = EXCLUDED.username,
                allow_plaintext_auth = EXCLUDED.allow_plaintext_auth, oauth_provider = EXCLUDED.oauth_provider,
                oauth_flow = EXCLUDED.oauth_flow, client_id = EXCLUDED.client_id, directory_id = EXCLUDED.directory_id,
                authorization_url = EXCLUDED.authorization_url, token_url = EXCLUDED.token_url, scopes = EXCLUDED.scopes,
                password_sealed = EXCLUDED.password_sealed, password_set_at = EXCLUDED.password_set_at,
                client_secret_sealed = EXCLUDED.client_secret_sealed, client_secret_set_at = EXCLUDED.client_secret_set_at,
                client_secret_expires_at = EXCLUDED.client_secret_expires_at,
                client_secret_expiry_source = EXCLUDED.client_secret_expiry_source,
                refresh_token_sealed = EXCLUDED.refresh_token_sealed, refresh_token_set_at = EXCLUDED.refresh_token_set_at,
                access_token_sealed = EXCLUDED.access_token_sealed, access_token_set_at = EXCLUDED.access_token_set_at,
                access_token_expires_at = EXCLUDED.access_token_expires_at,
                rate_limit_per_minute = EXCLUDED.rate_limit_per_minute, max_connections = EXCLUDED.max_connections,
                daily_recipient_limit = EXCLUDED.daily_recipient_limit, uncertain_policy = EXCLUDED.uncertain_policy,
                is_default = EXCLUDED.is_default,
                discover_secret_expiry = EXCLUDED.discover_secret_expiry,
                secret_discovery_problem = CASE WHEN \(write.changedSecrets.contains("client_secret")) THEN '' ELSE output_servers.secret_discovery_problem END,
                secret_discovery_checked_at = CASE WHEN \(write.changedSecrets.contains("client_secret")) THEN NULL ELSE output_servers.secret_discovery_checked_at END,
                access_token_scopes = CASE WHEN \(write.resetsTokenState) THEN '{}' ELSE output_servers.access_token_scopes END,
                token_failure_reason = CASE WHEN \(write.resetsTokenState) THEN '' ELSE output_servers.token_failure_reason END,
                token_failure_detail = CASE WHEN \(write.resetsTokenState) THEN '' ELSE output_servers.token_failure_detail END,
                token_failures = CASE WHEN \(write.resetsTokenState) THEN 0 ELSE output_servers.token_failures END,
                token_retry_at = CASE WHEN \(write.resetsTokenState) THEN NULL ELSE output_servers.token_retry_at END,
                version = output_servers.version + 1, updated_at = now()
            RETURNING \(unescaped: ServerRow.columns)
            """,
            logger: self.logger
        )
        return try await ServerRow.decode(rows).first!
    }

    static func auditEvent(server: ServerRecord, existing: ServerRecord?, changedSecrets: [String], actor: String)
        -> NewEvent
    {
        var details = ["server": server.definition.name, "version": String(server.version)]
        if !changedSecrets.isEmpty { details["secrets_changed"] = changedSecrets.joined(separator: ",") }
        if let existing {
            let changed = Self.changedFields(from: existing.definition, to: server.definition)
            if !changed.isEmpty { details["changed"] = changed.joined(separator: ",") }
        }
        return NewEvent(
            tenantID: server.tenantID,
            kind: existing == nil ? EventKind.serverCreated : EventKind.serverUpdated,
            serverID: server.id,
            message: "Server \(server.definition.name) \(existing == nil ? "created" : "updated").",
            details: details,
            actor: actor
        )
    }

    static func changedFields(from old: ServerDefinition, to new: ServerDefinition) -> [String] {
        var changed: [String] = []
        func check<Value: Equatable>(_ name: String, _ path: KeyPath<ServerDefinition, Value>) {
            if old[keyPath: path] != new[keyPath: path] { changed.append(name) }
        }
        check("host", \.host)
        check("port", \.port)
        check("security", \.security)
        check("sender_name", \.senderName)
        check("sender_address", \.senderAddress)
        check("auth_type", \.authType)
        check("username", \.username)
        check("allow_plaintext_auth", \.allowPlaintextAuth)
        check("oauth", \.oauth)
        check("rate_limit_per_minute", \.rateLimitPerMinute)
        check("max_connections", \.maxConnections)
        check("daily_recipient_limit", \.dailyRecipientLimit)
        check("uncertain_policy", \.uncertainPolicy)
        check("discover_secret_expiry", \.discoverSecretExpiry)
        check("is_default", \.isDefault)
        return changed
    }
}
