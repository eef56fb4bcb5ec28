import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

/// The webhook methods of `mailgate.v1.Admin`. Like the other Admin methods, writes
/// (put, delete, rotate the secret) need an operator key, and tenant keys read their own
/// tenant's subscriptions and deliveries; every call is scoped by the tenant the
/// `TenantResolver` derives from the key. The signing secret leaves the server only in the
/// answer that created it.
struct WebhookHandlers: Sendable {
    static let service = AdminHandlers.service

    let subscriptions: WebhookSubscriptionRepository
    let outbox: WebhookOutbox
    let resolver: TenantResolver
    /// Where webhook URLs may point: the same rule as output servers and token URLs.
    let destinations: DestinationPolicy
    let health: DatabaseHealth

    func register(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "PutWebhookSubscription",
            request: Mailgate_V1_PutWebhookSubscriptionRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let definition = request.definition
            var violations = WebhookRules.violations(of: definition, destinations: self.destinations)
            if case .UNRECOGNIZED(let value) = request.minSeverity {
                violations.append(
                    Violation("min_severity", "\(value) is not a severity: 1 info, 2 warning, 3 error, 4 critical")
                )
            }
            guard violations.isEmpty else {
                throw ValidationError(
                    "The webhook subscription \(definition.name) is not valid; nothing was changed.",
                    violations: violations
                )
            }
            let outcome = try await self.subscriptions.put(
                tenantID: tenant.id,
                definition,
                actor: principal.keyID
            )
            context.logger.info(
                "webhook subscription \(outcome.created ? "created" : "updated")",
                metadata: [
                    "tenant": "\(tenant.slug)", "subscription": "\(outcome.subscription.id.uuidString.lowercased())",
                    "actor": "\(principal.keyID)",
                ]
            )
            var response = Mailgate_V1_PutWebhookSubscriptionResponse()
            response.subscription = Mailgate_V1_WebhookSubscription(outcome.subscription)
            response.created = outcome.created
            if let secret = outcome.secret { response.secret = secret.exposedValue }
            return response
        }

        router.registerStoreBacked(
            Self.service + "ListWebhookSubscriptions",
            request: Mailgate_V1_ListWebhookSubscriptionsRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            var response = Mailgate_V1_ListWebhookSubscriptionsResponse()
            response.subscriptions = try await self.subscriptions.list(tenantID: tenant.id)
                .map(Mailgate_V1_WebhookSubscription.init)
            return response
        }

        router.registerStoreBacked(
            Self.service + "DeleteWebhookSubscription",
            request: Mailgate_V1_DeleteWebhookSubscriptionRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let deleted = try await self.subscriptions.delete(
                tenantID: tenant.id,
                idOrName: try Self.subscriptionName(request.subscription),
                actor: principal.keyID
            )
            context.logger.info(
                "webhook subscription deleted",
                metadata: [
                    "tenant": "\(tenant.slug)", "subscription": "\(deleted.id.uuidString.lowercased())",
                    "actor": "\(principal.keyID)",
                ]
            )
            return Mailgate_V1_DeleteWebhookSubscriptionResponse()
        }

        router.registerStoreBacked(
            Self.service + "RotateWebhookSecret",
            request: Mailgate_V1_RotateWebhookSecretRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let (subscription, secret) = try await self.subscriptions.rotateSecret(
                tenantID: tenant.id,
                idOrName: try Self.subscriptionName(request.subscription),
                actor: principal.keyID
            )
            context.logger.info(
                "webhook signing secret rotated",
                metadata: [
                    "tenant": "\(tenant.slug)", "subscription": "\(subscription.id.uuidString.lowercased())",
                    "actor": "\(principal.keyID)",
                ]
            )
            var response = Mailgate_V1_RotateWebhookSecretResponse()
            response.subscription = Mailgate_V1_WebhookSubscription(subscription)
            response.secret = secret.exposedValue
            return response
        }

        router.registerStoreBacked(
            Self.service + "ListWebhookDeliveries",
            request: Mailgate_V1_ListWebhookDeliveriesRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let name = try Self.subscriptionName(request.subscription)
            guard let subscription = try await self.subscriptions.find(tenantID: tenant.id, idOrName: name) else {
                throw RPCError(code: .notFound, message: "No webhook subscription \(name) in this tenant.")
            }
            var before: UUID?
            if let token = try PageToken.decode(request.pageToken) {
                guard let id = UUID(uuidString: token) else {
                    throw RPCError(code: .invalidArgument, message: "The page token is not one this server issued.")
                }
                before = id
            }
            let limit = PageToken.pageSize(request.pageSize)
            let page = try await self.outbox.deliveries(
                tenantID: tenant.id,
                subscriptionID: subscription.id,
                before: before,
                limit: limit + 1
            )
            let (deliveries, next) = PageToken.split(page, limit: limit) { $0.id.uuidString.lowercased() }
            var response = Mailgate_V1_ListWebhookDeliveriesResponse()
            response.deliveries = deliveries.map(Mailgate_V1_WebhookDelivery.init)
            response.nextPageToken = next
            return response
        }

        router.registerStoreBacked(
            Self.service + "SendWebhookTestEvent",
            request: Mailgate_V1_SendWebhookTestEventRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let queued = try await self.subscriptions.sendTestEvent(
                tenantID: tenant.id,
                idOrName: try Self.subscriptionName(request.subscription),
                actor: principal.keyID
            )
            var response = Mailgate_V1_SendWebhookTestEventResponse()
            response.eventID = String(queued.eventID)
            response.deliveryID = queued.deliveryID.uuidString.lowercased()
            return response
        }
    }

    /// The subscription a request names, or INVALID_ARGUMENT when it names none.
    static func subscriptionName(_ text: String) throws -> String {
        guard !text.isEmpty else {
            throw ValidationError(
                "Name the webhook subscription.",
                violations: [Violation("subscription", "is required (id or name)")]
            )
        }
        return text
    }
}
