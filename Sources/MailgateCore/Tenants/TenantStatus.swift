/// Whether a tenant's keys may act. A disabled tenant's keys are refused
/// (PERMISSION_DENIED, `TENANT_DISABLED`); its queued mail stays queued.
public enum TenantStatus: String, Sendable, Hashable, CaseIterable {
    case active
    case disabled
}
