/// The kinds of events Mailgate writes; stable strings clients may filter on.
public enum EventKind {
    public static let tenantCreated = "tenant_created"
    public static let tenantUpdated = "tenant_updated"
    public static let tenantDisabled = "tenant_disabled"
    public static let tenantEnabled = "tenant_enabled"
    public static let apiKeyCreated = "api_key_created"
    public static let apiKeyRevoked = "api_key_revoked"
    public static let serverCreated = "server_created"
    public static let serverUpdated = "server_updated"
    public static let serverDeleted = "server_deleted"
    /// A message failed for good (permanent reply, retries exhausted, uncertain policy `fail`).
    public static let messageFailed = "message_failed"
    /// A server asked to slow down or reported a used-up quota; its mail waits.
    public static let serverThrottled = "server_throttled"
    /// A token request failed; the server's mail waits (details carry the provider's error, never a secret).
    public static let oauthTokenFailed = "oauth_token_failed"
    /// Tokens are obtained again after failures.
    public static let oauthTokenRecovered = "oauth_token_recovered"
    /// The SMTP server refused a fresh OAuth token (XOAUTH2); the server's mail waits.
    public static let oauthTokenRejected = "oauth_token_rejected"
    /// A consent ("Get refresh token") stored a refresh token.
    public static let oauthConsentCompleted = "oauth_consent_completed"
    /// A consent failed: provider error, bad or expired state, or no refresh token issued.
    public static let oauthConsentFailed = "oauth_consent_failed"
    /// A client secret expires within a warning threshold (severity rises as the date nears).
    public static let clientSecretExpiring = "client_secret_expiring"
    /// A client secret has expired.
    public static let clientSecretExpired = "client_secret_expired"
    /// Reading a secret's end date from Microsoft Graph failed (e.g. no Application.Read.All).
    public static let clientSecretDiscoveryFailed = "client_secret_discovery_failed"
    /// ValidateServer found a problem; details name the failing check, its reason and remedy.
    public static let serverValidationFailed = "server_validation_failed"
    /// ValidateServer passed after a failed validation.
    public static let serverValidationRecovered = "server_validation_recovered"
    /// A fault of the server or its configuration (TLS, credentials, DNS, the sender's
    /// rights) stopped delivery; its mail waits. Once per episode.
    public static let serverDeliveryBlocked = "server_delivery_blocked"
    /// A blocked server takes mail again (a delivery, a changed server, a stored token or
    /// a passing validation); the mail that waited goes out.
    public static let serverDeliveryResumed = "server_delivery_resumed"
    /// A webhook subscription was created, changed or deleted, or its signing secret
    /// replaced (audit events: `actor` is the key, details name the subscription and its host).
    public static let webhookSubscriptionCreated = "webhook_subscription_created"
    public static let webhookSubscriptionUpdated = "webhook_subscription_updated"
    public static let webhookSubscriptionDeleted = "webhook_subscription_deleted"
    public static let webhookSecretRotated = "webhook_secret_rotated"
    /// A test event an operator sent to one webhook subscription (SendWebhookTestEvent).
    public static let webhookTest = "webhook_test"
}
