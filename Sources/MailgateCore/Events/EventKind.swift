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
}
