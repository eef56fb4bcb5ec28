import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension AdminHandlers {
    func registerKeyMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "CreateApiKey",
            request: Mailgate_V1_CreateApiKeyRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            if request.description_p.count > 200 || request.description_p.containsControlCharacter {
                throw ValidationError(
                    "The key is not valid.",
                    violations: [Violation("description", "must be at most 200 characters without control characters")]
                )
            }
            let tenant: TenantReference?
            switch request.scope {
            case .operator:
                guard request.tenant.isEmpty else {
                    throw ValidationError(
                        "The key is not valid.",
                        violations: [Violation("tenant", "must be empty for an operator key")]
                    )
                }
                tenant = nil
            case .tenant, .unspecified:
                tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            default:
                throw ValidationError(
                    "The key is not valid.",
                    violations: [Violation("scope", "must be operator or tenant")]
                )
            }
            let (record, key) = try await self.keys.create(
                tenantID: tenant?.id,
                description: request.description_p,
                actor: principal.keyID
            )
            context.logger.info(
                "API key created",
                metadata: ["key_id": "\(record.id)", "tenant": "\(tenant?.slug ?? "-")", "actor": "\(principal.keyID)"]
            )
            var response = Mailgate_V1_CreateApiKeyResponse()
            response.key = Mailgate_V1_ApiKey(record)
            response.secret = key.presentedForm.exposedValue
            return response
        }

        router.registerStoreBacked(
            Self.service + "RevokeApiKey",
            request: Mailgate_V1_RevokeApiKeyRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let record = try await self.keys.revoke(id: request.keyID, tenantID: nil, actor: principal.keyID)
            context.logger.info("API key revoked", metadata: ["key_id": "\(record.id)", "actor": "\(principal.keyID)"])
            return Mailgate_V1_ApiKey(record)
        }

        router.registerStoreBacked(
            Self.service + "ListApiKeys",
            request: Mailgate_V1_ListApiKeysRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.optionalTenant(request.tenant, context: context)
            var response = Mailgate_V1_ListApiKeysResponse()
            response.keys = try await self.keys.list(tenantID: tenant?.id, includeRevoked: request.includeRevoked)
                .map(Mailgate_V1_ApiKey.init)
            return response
        }
    }
}
