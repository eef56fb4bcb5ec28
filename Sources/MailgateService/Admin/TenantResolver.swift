import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

/// Decides which tenant a call acts in. Tenant keys always act in their own tenant:
/// naming any other in the request answers NOT_FOUND (no existence leak), and they may
/// not use the `tenant` metadata to switch. Operator keys name a tenant by id or slug,
/// in the request's `tenant` field or the `tenant` call metadata.
struct TenantResolver: Sendable {
    static let metadataKey = "tenant"

    let tenants: TenantRepository

    /// The tenant the call acts in; INVALID_ARGUMENT when an operator names none.
    func requireTenant(_ requested: String, context: CallContext<Principal>) async throws -> TenantReference {
        guard let tenant = try await self.optionalTenant(requested, context: context) else {
            throw RPCError(
                code: .invalidArgument,
                message:
                    "Operator keys must name the tenant: the request's tenant field or \"tenant\" metadata (id or slug).",
                reason: "TENANT_REQUIRED",
                fieldViolations: [.init(field: "tenant", description: "is required with an operator key")]
            )
        }
        return tenant
    }

    /// The tenant that sends, which must be enabled whatever the key: a disabled tenant's
    /// keys are refused when authenticated, and an operator key naming it is refused here
    /// (PERMISSION_DENIED `TENANT_DISABLED`), so nothing new is queued for it.
    func requireSendingTenant(context: CallContext<Principal>) async throws -> TenantReference {
        let tenant = try await self.requireTenant("", context: context)
        if case .operator_ = try context.requirePrincipal().scope,
            let record = try await self.tenants.find(idOrSlug: tenant.id.uuidString), record.status != .active
        {
            throw AuthenticationFailure.tenantDisabled
        }
        return tenant
    }

    /// The tenant the call acts in, or nil when an operator names none (platform-wide).
    func optionalTenant(_ requested: String, context: CallContext<Principal>) async throws -> TenantReference? {
        let principal = try context.requirePrincipal()
        let fromMetadata = context.metadata[Self.metadataKey].flatMap { $0.isEmpty ? nil : $0 }
        switch principal.scope {
        case .tenant(let own):
            if let fromMetadata, !Self.names(fromMetadata, own) {
                throw AuthenticationFailure.tenantOverrideNotAllowed
            }
            if !requested.isEmpty, !Self.names(requested, own) {
                throw RPCError(code: .notFound, message: "No tenant \(requested).")
            }
            return own
        case .operator_:
            guard let name = requested.isEmpty ? fromMetadata : requested else { return nil }
            guard let tenant = try await self.tenants.find(idOrSlug: name) else {
                throw RPCError(code: .notFound, message: "No tenant \(name).")
            }
            return TenantReference(id: tenant.id, slug: tenant.slug)
        }
    }

    private static func names(_ text: String, _ tenant: TenantReference) -> Bool {
        text == tenant.slug || UUID(uuidString: text) == tenant.id
    }
}

extension CallContext<Principal> {
    /// The principal, which must be an operator key (PERMISSION_DENIED otherwise).
    func requireOperator() throws -> Principal {
        let principal = try self.requirePrincipal()
        guard principal.isOperator else { throw AuthenticationFailure.operatorKeyRequired }
        return principal
    }
}
