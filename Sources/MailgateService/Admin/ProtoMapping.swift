import Foundation
import MailgateCore
import MailgateProto
import MailgateStore
import SwiftProtobuf

extension Google_Protobuf_Timestamp {
    init?(_ date: Date?) {
        guard let date else { return nil }
        self.init(date: date)
    }
}

extension Mailgate_V1_Tenant {
    /// The tenant with its quotas in force (its own over `defaults`).
    init(_ record: TenantRecord, defaults: TenantQuotas) {
        self.init()
        self.id = record.id.uuidString.lowercased()
        self.slug = record.slug
        self.displayName = record.displayName
        self.status = record.status == .active ? .active : .disabled
        self.alertContacts = record.alertContacts
        self.expiryWarningDays = (record.expiryWarningDays ?? []).map { UInt32(clamping: $0) }
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        self.updatedAt = Google_Protobuf_Timestamp(date: record.updatedAt)
        self.deliveryWeight = UInt32(clamping: record.deliveryWeight)
        self.quotas = Mailgate_V1_TenantQuotas(record.quotas.over(defaults))
        self.quotaOverrides = Mailgate_V1_TenantQuotas(record.quotas)
    }
}

extension Mailgate_V1_TenantQuotas {
    init(_ quotas: TenantQuotas) {
        self.init()
        if let value = quotas.queuedMessages { self.queuedMessages = UInt64(clamping: value) }
        if let value = quotas.queuedBytes { self.queuedBytes = UInt64(clamping: value) }
        if let value = quotas.sendsPerMinute { self.sendsPerMinute = UInt32(clamping: value) }
        if let value = quotas.scheduleAheadSeconds { self.scheduleAheadSeconds = UInt32(clamping: value) }
        if let value = quotas.validationsPerMinute { self.validationsPerMinute = UInt32(clamping: value) }
        if let value = quotas.tokenRefreshesPerMinute { self.tokenRefreshesPerMinute = UInt32(clamping: value) }
    }

    /// The quotas set in this message; nil for each left unset.
    var quotas: TenantQuotas {
        TenantQuotas(
            queuedMessages: self.hasQueuedMessages ? Int(clamping: self.queuedMessages) : nil,
            queuedBytes: self.hasQueuedBytes ? Int(clamping: self.queuedBytes) : nil,
            sendsPerMinute: self.hasSendsPerMinute ? Int(self.sendsPerMinute) : nil,
            scheduleAheadSeconds: self.hasScheduleAheadSeconds ? Int(self.scheduleAheadSeconds) : nil,
            validationsPerMinute: self.hasValidationsPerMinute ? Int(self.validationsPerMinute) : nil,
            tokenRefreshesPerMinute: self.hasTokenRefreshesPerMinute ? Int(self.tokenRefreshesPerMinute) : nil
        )
    }
}

extension Mailgate_V1_ApiKey {
    init(_ record: APIKeyRecord) {
        self.init()
        self.id = record.id
        self.scope = record.tenantID == nil ? .operator : .tenant
        self.tenantID = record.tenantID?.uuidString.lowercased() ?? ""
        self.description_p = record.description
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        if let revokedAt = Google_Protobuf_Timestamp(record.revokedAt) { self.revokedAt = revokedAt }
        if let lastUsedAt = Google_Protobuf_Timestamp(record.lastUsedAt) { self.lastUsedAt = lastUsedAt }
    }
}

extension Mailgate_V1_SecretState {
    init(_ metadata: SecretMetadata) {
        self.init()
        self.isSet = metadata.isSet
        if let setAt = Google_Protobuf_Timestamp(metadata.setAt) { self.setAt = setAt }
        if let expiresAt = Google_Protobuf_Timestamp(metadata.expiresAt) { self.expiresAt = expiresAt }
        self.expirySource = metadata.expirySource.map(Mailgate_V1_ExpirySource.init) ?? .unspecified
    }
}

extension Mailgate_V1_ExpirySource {
    init(_ source: ExpiryDateSource) {
        switch source {
        case .operator: self = .operator
        case .estimated: self = .estimated
        case .provider: self = .provider
        }
    }
}

extension Mailgate_V1_OutputServer {
    /// The server as a client sees it: secrets only as "set or not" and their dates.
    init(_ record: ServerRecord) {
        self.init()
        let definition = record.definition
        self.id = record.id.uuidString.lowercased()
        self.tenantID = record.tenantID.uuidString.lowercased()
        self.name = definition.name
        self.host = definition.host
        self.port = UInt32(definition.port)
        self.security = Mailgate_V1_Security(definition.security)
        self.senderName = definition.senderName
        self.senderAddress = definition.senderAddress
        self.authType = Mailgate_V1_AuthType(definition.authType)
        self.username = definition.username
        self.allowPlaintextAuth = definition.allowPlaintextAuth
        self.password = Mailgate_V1_SecretState(record.password)
        if let oauth = definition.oauth {
            self.oauth = Mailgate_V1_OAuthSettings(oauth)
            self.clientSecret = Mailgate_V1_SecretState(record.clientSecret)
            self.refreshToken = Mailgate_V1_SecretState(record.refreshToken)
            self.accessToken = Mailgate_V1_SecretState(record.accessToken)
            self.grantedScopes = record.tokenState.scopes
            self.tokenFailureReason = record.tokenState.failureReason?.rawValue ?? ""
            self.tokenFailureDetail = record.tokenState.failureDetail
            if record.tokenState.failureReason != nil, let retryAt = record.tokenState.retryAt {
                self.tokenRetryAt = Google_Protobuf_Timestamp(date: retryAt)
            }
        }
        self.rateLimitPerMinute = UInt32(definition.rateLimitPerMinute)
        self.maxConnections = UInt32(clamping: definition.maxConnections)
        self.dailyRecipientLimit = UInt32(clamping: definition.dailyRecipientLimit)
        self.uncertainPolicy = definition.uncertainPolicy == .fail ? .fail : .retry
        self.discoverSecretExpiry = definition.discoverSecretExpiry
        self.secretDiscoveryProblem = record.secretDiscoveryProblem
        self.isDefault = definition.isDefault
        self.version = UInt64(record.version)
        self.lastValidation = record.lastValidation
        if let validatedAt = record.lastValidatedAt {
            self.lastValidatedAt = Google_Protobuf_Timestamp(date: validatedAt)
        }
        self.lastValidationOk = record.lastValidationOK ?? false
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        self.updatedAt = Google_Protobuf_Timestamp(date: record.updatedAt)
    }
}

extension Mailgate_V1_OutputServer {
    /// The server and, when its mail waits, why: a block or a pause in force.
    init(_ record: ServerRecord, delivery: ServerDeliveryState?) {
        self.init(record)
        if let block = delivery?.block {
            self.deliveryBlock = Mailgate_V1_DeliveryBlock(block)
        }
        if let pausedUntil = delivery?.pausedUntil {
            self.pausedUntil = Google_Protobuf_Timestamp(date: pausedUntil)
            self.pauseReason = delivery?.pauseReason ?? ""
        }
    }
}

extension Mailgate_V1_DeliveryBlock {
    init(_ block: ServerBlock) {
        self.init()
        self.reason = block.reason
        self.detail = block.detail
        self.remedy = block.remedy
        self.since = Google_Protobuf_Timestamp(date: block.since)
        self.nextProbeAt = Google_Protobuf_Timestamp(date: block.retryAt)
        self.failedAttempts = UInt32(clamping: block.failures)
    }
}

extension Mailgate_V1_OAuthSettings {
    init(_ oauth: ServerDefinition.OAuth) {
        self.init()
        self.provider = Mailgate_V1_OAuthProvider(oauth.provider)
        self.flow = Mailgate_V1_OAuthFlow(oauth.flow)
        self.clientID = oauth.clientID
        self.directoryID = oauth.directoryID
        self.authorizationURL = oauth.authorizationURL
        self.tokenURL = oauth.tokenURL
        self.scopes = oauth.scopes
    }
}

extension Mailgate_V1_Event {
    init(_ record: EventRecord) {
        self.init()
        self.id = String(record.id)
        self.tenantID = record.tenantID?.uuidString.lowercased() ?? ""
        self.kind = record.kind
        self.severity = Mailgate_V1_Severity(rawValue: record.severity.rawValue) ?? .info
        self.serverID = record.serverID?.uuidString.lowercased() ?? ""
        self.message = record.message
        self.details = record.details
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        self.actor = record.actor
        if let readAt = record.readAt { self.readAt = Google_Protobuf_Timestamp(date: readAt) }
        self.readBy = record.readBy ?? ""
    }
}

// MARK: Enumerations, both ways

extension Mailgate_V1_Security {
    init(_ security: ConnectionSecurity?) {
        switch security {
        case .none?: self = .none
        case .starttls: self = .starttls
        case .tls: self = .tls
        case .opportunistic: self = .opportunistic
        case nil: self = .unspecified
        }
    }

    var domain: ConnectionSecurity? {
        switch self {
        case .none: ConnectionSecurity.none
        case .starttls: .starttls
        case .tls: .tls
        case .opportunistic: .opportunistic
        default: nil
        }
    }
}

extension Mailgate_V1_AuthType {
    init(_ type: AuthenticationType?) {
        switch type {
        case .none?: self = .none
        case .basic: self = .basic
        case .oauth2: self = .oauth2
        case nil: self = .unspecified
        }
    }

    var domain: AuthenticationType? {
        switch self {
        case .none: AuthenticationType.none
        case .basic: .basic
        case .oauth2: .oauth2
        default: nil
        }
    }
}

extension Mailgate_V1_OAuthProvider {
    init(_ provider: OAuthProviderKind?) {
        switch provider {
        case .microsoft: self = .microsoft
        case .google: self = .google
        case .generic: self = .generic
        case nil: self = .unspecified
        }
    }

    var domain: OAuthProviderKind? {
        switch self {
        case .microsoft: .microsoft
        case .google: .google
        case .generic: .generic
        default: nil
        }
    }
}

extension Mailgate_V1_OAuthFlow {
    init(_ flow: OAuthGrantFlow?) {
        switch flow {
        case .authorizationCode: self = .authorizationCode
        case .clientCredentials: self = .clientCredentials
        case nil: self = .unspecified
        }
    }

    var domain: OAuthGrantFlow? {
        switch self {
        case .authorizationCode: .authorizationCode
        case .clientCredentials: .clientCredentials
        default: nil
        }
    }
}

extension Mailgate_V1_SecretInput {
    /// What this input does; `keep` when unset.
    var secretChange: SecretChange {
        switch self.change {
        case .value(let value)?: value.isEmpty ? .keep : .set(Secret(value))
        case .clear(true)?: .clear
        default: .keep
        }
    }
}

extension Mailgate_V1_PutServerRequest {
    /// The definition and secret changes this request asks for, before presets and validation.
    var definitionAndChanges: (ServerDefinition, SecretChanges, [Violation]) {
        var violations: [Violation] = []
        if self.security.domain == nil && self.security != .unspecified {
            violations.append(Violation("security", "unknown value"))
        }
        if self.authType.domain == nil && self.authType != .unspecified {
            violations.append(Violation("auth_type", "unknown value"))
        }
        var oauth: ServerDefinition.OAuth?
        if self.hasOauth {
            oauth = ServerDefinition.OAuth(
                provider: self.oauth.provider.domain,
                flow: self.oauth.flow.domain,
                clientID: self.oauth.clientID,
                directoryID: self.oauth.directoryID,
                authorizationURL: self.oauth.authorizationURL,
                tokenURL: self.oauth.tokenURL,
                scopes: self.oauth.scopes
            )
        }
        let definition = ServerDefinition(
            name: self.name,
            host: self.host,
            // ServerRules reports a port outside 1-65535; every UInt32 fits an Int.
            port: Int(self.port),
            security: self.security.domain,
            senderName: self.senderName,
            senderAddress: self.senderAddress,
            authType: self.authType.domain,
            username: self.username,
            allowPlaintextAuth: self.allowPlaintextAuth,
            oauth: oauth,
            rateLimitPerMinute: Int(self.rateLimitPerMinute),
            maxConnections: Int(self.maxConnections),
            dailyRecipientLimit: Int(self.dailyRecipientLimit),
            uncertainPolicy: self.uncertainPolicy == .fail ? .fail : .retry,
            discoverSecretExpiry: self.discoverSecretExpiry,
            isDefault: self.isDefault
        )
        let changes = SecretChanges(
            password: self.hasPassword ? self.password.secretChange : .keep,
            clientSecret: self.hasClientSecret ? self.clientSecret.secretChange : .keep,
            refreshToken: self.hasRefreshToken ? self.refreshToken.secretChange : .keep,
            clientSecretExpiresAt: self.hasClientSecretExpiresAt ? self.clientSecretExpiresAt.date : nil
        )
        return (definition, changes, violations)
    }
}
