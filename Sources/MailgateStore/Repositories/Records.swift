import Foundation
import MailgateCore

/// A tenant as stored.
public struct TenantRecord: Sendable, Hashable {
    public var id: UUID
    public var slug: String
    public var displayName: String
    public var status: TenantStatus
    public var alertContacts: [String]
    /// Days before a client secret expires to warn at; nil = the service's setting.
    public var expiryWarningDays: [Int]?
    /// The tenant's share of delivery against the others (1...100).
    public var deliveryWeight: Int = 1
    /// The tenant's own quotas; those not set follow the service's defaults.
    public var quotas = TenantQuotas()
    public var createdAt: Date
    public var updatedAt: Date
}

/// An API key as stored: never its secret, only who it acts for and when it was used.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: String
    /// nil for operator keys.
    public var tenantID: UUID?
    public var description: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

/// What the authenticator needs to verify a presented key.
public struct KeyVerificationRecord: Sendable, Hashable {
    public var keyID: String
    public var secretHash: [UInt8]
    public var tenantID: UUID?
    public var tenantSlug: String?
    public var tenantStatus: TenantStatus?
    public var revoked: Bool
    public var lastUsedAt: Date?
}

/// Whether a secret is set, and when; never its value.
public struct SecretMetadata: Sendable, Hashable {
    public var isSet: Bool
    public var setAt: Date?
    public var expiresAt: Date?
    public var expirySource: ExpiryDateSource?

    public init(isSet: Bool = false, setAt: Date? = nil, expiresAt: Date? = nil, expirySource: ExpiryDateSource? = nil)
    {
        self.isSet = isSet
        self.setAt = setAt
        self.expiresAt = expiresAt
        self.expirySource = expirySource
    }
}

/// An output server as stored: its definition, the state of each secret, and the
/// sealed values (opened only through the vault, where a secret is used).
public struct ServerRecord: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var definition: ServerDefinition
    public var password: SecretMetadata
    public var clientSecret: SecretMetadata
    public var refreshToken: SecretMetadata
    public var accessToken: SecretMetadata
    public var version: Int64
    /// The last validation's summary ("ok", "failed at auth (SMTP_AUTH_DISABLED)"), verdict and time.
    public var lastValidation: String
    public var lastValidationOK: Bool?
    public var lastValidatedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// The cached access token's scopes and the outcome of the last token request.
    public var tokenState: TokenState
    /// Why the secret's expiry could not be read from Graph, if it could not.
    public var secretDiscoveryProblem: String
    /// Sealed envelopes by column; never shown.
    var sealed: [SecretColumn: String]

    /// Which secrets are present, for validation.
    public var storedSecrets: StoredSecrets {
        StoredSecrets(
            hasPassword: self.password.isSet,
            hasClientSecret: self.clientSecret.isSet,
            hasRefreshToken: self.refreshToken.isSet
        )
    }

    /// Where the seal of `column` lives (its additional data).
    public func location(of column: SecretColumn) -> SecretLocation {
        SecretLocation(tenantID: self.tenantID, serverID: self.id, column: column)
    }

    /// Opens one secret; nil when it is not set.
    public func openSecret(_ column: SecretColumn, with vault: Vault) throws -> Secret? {
        guard let envelope = self.sealed[column] else { return nil }
        do {
            return try vault.open(envelope, at: self.location(of: column))
        } catch {
            throw StoreError(.secretUnreadable, error.description, underlying: error)
        }
    }
}

/// What the last token requests of an OAuth server left behind.
public struct TokenState: Sendable, Hashable {
    /// Scopes granted with the cached access token.
    public var scopes: [String]
    /// Why the last token request failed; nil once one succeeds.
    public var failureReason: TokenFailureReason?
    public var failureDetail: String
    /// Consecutive failed requests.
    public var failures: Int
    public var failedAt: Date?
    /// Delivery asks for no token before this.
    public var retryAt: Date?

    public init(
        scopes: [String] = [],
        failureReason: TokenFailureReason? = nil,
        failureDetail: String = "",
        failures: Int = 0,
        failedAt: Date? = nil,
        retryAt: Date? = nil
    ) {
        self.scopes = scopes
        self.failureReason = failureReason
        self.failureDetail = failureDetail
        self.failures = failures
        self.failedAt = failedAt
        self.retryAt = retryAt
    }
}

/// One entry of a tenant's notification panel.
public struct EventRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantID: UUID?
    public var kind: String
    public var severity: EventSeverity
    public var serverID: UUID?
    public var message: String
    public var details: [String: String]
    public var actor: String
    public var createdAt: Date
    /// When it was marked read, and by which key id; nil while unread.
    public var readAt: Date?
    public var readBy: String?
}

/// An event to append.
public struct NewEvent: Sendable, Hashable {
    public var tenantID: UUID?
    public var kind: String
    public var severity: EventSeverity
    public var serverID: UUID?
    public var message: String
    public var details: [String: String]
    public var actor: String

    public init(
        tenantID: UUID?,
        kind: String,
        severity: EventSeverity = .info,
        serverID: UUID? = nil,
        message: String,
        details: [String: String] = [:],
        actor: String = ""
    ) {
        self.tenantID = tenantID
        self.kind = kind
        self.severity = severity
        self.serverID = serverID
        self.message = message
        self.details = details
        self.actor = actor
    }
}

extension SecretLocation {
    /// The location of `column` of the server `serverID` in `tenantID`.
    init(tenantID: UUID, serverID: UUID, column: SecretColumn) {
        self.init(tenantID: tenantID.uuidString, serverID: serverID.uuidString, column: column.rawValue)
    }
}
