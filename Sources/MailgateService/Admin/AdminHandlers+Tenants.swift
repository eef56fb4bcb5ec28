import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension AdminHandlers {
    func registerTenantMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "CreateTenant",
            request: Mailgate_V1_CreateTenantRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let violations =
                TenantRules.slugViolations(request.slug)
                + TenantRules.displayNameViolations(request.displayName)
                + TenantRules.alertContactViolations(request.alertContacts)
            guard violations.isEmpty else { throw ValidationError("The tenant is not valid.", violations: violations) }
            let tenant = try await self.tenants.create(
                slug: request.slug,
                displayName: request.displayName,
                alertContacts: TenantRules.normalizedContacts(request.alertContacts),
                actor: principal.keyID
            )
            context.logger.info(
                "tenant created",
                metadata: ["tenant": "\(tenant.slug)", "actor": "\(principal.keyID)"]
            )
            return Mailgate_V1_Tenant(tenant, defaults: self.quotas.defaults)
        }

        router.registerStoreBacked(
            Self.service + "GetTenant",
            request: Mailgate_V1_GetTenantRequest.self,
            health: self.health
        ) { request, context in
            let reference = try await self.resolver.requireTenant(request.tenant, context: context)
            guard let tenant = try await self.tenants.find(idOrSlug: reference.id.uuidString) else {
                throw RPCError(code: .notFound, message: "No tenant \(request.tenant).")
            }
            var response = Mailgate_V1_Tenant(tenant, defaults: self.quotas.defaults)
            response.usage = try await self.quotas.usage(of: tenant.id)
            return response
        }

        router.registerStoreBacked(
            Self.service + "ListTenants",
            request: Mailgate_V1_ListTenantsRequest.self,
            health: self.health
        ) { request, context in
            _ = try context.requireOperator()
            let limit = PageToken.pageSize(request.pageSize)
            let page = try await self.tenants.list(afterSlug: try PageToken.decode(request.pageToken), limit: limit + 1)
            var response = Mailgate_V1_ListTenantsResponse()
            let (tenants, next) = PageToken.split(page, limit: limit) { $0.slug }
            response.tenants = tenants.map { Mailgate_V1_Tenant($0, defaults: self.quotas.defaults) }
            response.nextPageToken = next
            return response
        }

        router.registerStoreBacked(
            Self.service + "UpdateTenant",
            request: Mailgate_V1_UpdateTenantRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let reference = try await self.resolver.requireTenant(request.tenant, context: context)
            var violations: [Violation] = []
            if request.hasDisplayName { violations += TenantRules.displayNameViolations(request.displayName) }
            if request.updateAlertContacts { violations += TenantRules.alertContactViolations(request.alertContacts) }
            if request.updateExpiryWarningDays, request.expiryWarningDays.contains(where: { $0 == 0 || $0 > 3650 }) {
                violations.append(
                    Violation("expiry_warning_days", "each must be 1 to 3650 days (expiry itself is always warned)")
                )
            }
            if request.hasDeliveryWeight, !TenantQuotas.deliveryWeights.contains(Int(request.deliveryWeight)) {
                violations.append(Violation("delivery_weight", "must be 1 to 100"))
            }
            var status: TenantStatus?
            if request.hasStatus {
                switch request.status {
                case .active: status = .active
                case .disabled: status = .disabled
                default: violations.append(Violation("status", "must be active or disabled"))
                }
            }
            guard violations.isEmpty else {
                throw ValidationError("The tenant update is not valid.", violations: violations)
            }
            let tenant = try await self.tenants.update(
                id: reference.id,
                displayName: request.hasDisplayName ? request.displayName : nil,
                status: status,
                alertContacts: request.updateAlertContacts
                    ? TenantRules.normalizedContacts(request.alertContacts) : nil,
                expiryWarningDays: request.updateExpiryWarningDays
                    ? .some(
                        request.expiryWarningDays.isEmpty
                            ? nil : Array(Set(request.expiryWarningDays.map(Int.init))).sorted(by: >)
                    )
                    : .none,
                deliveryWeight: request.hasDeliveryWeight ? Int(request.deliveryWeight) : nil,
                quotas: request.updateQuotas ? request.quotas.quotas : nil,
                actor: principal.keyID
            )
            self.quotas.forgetQuotas(of: tenant.id)
            context.logger.info(
                "tenant updated",
                metadata: [
                    "tenant": "\(tenant.slug)", "status": "\(tenant.status.rawValue)", "actor": "\(principal.keyID)",
                ]
            )
            return Mailgate_V1_Tenant(tenant, defaults: self.quotas.defaults)
        }
    }
}
