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
}
