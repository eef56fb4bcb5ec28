import Foundation
import Hummingbird
import MailgateProto
import MailgateRPC

/// Expiring secrets (across tenants for operators) and a message by id or Message-ID.
extension ConsoleRoutes {
    func registerLookupPages(on router: Router<ConsoleRequestContext>) {
        router.get("/expiring") { request, context in
            // Days, 1 to 10 years' worth: whatever the query says.
            let within = min(max(request.uri.queryParameters.get("within").flatMap(UInt64.init) ?? 90, 1), 3650)
            var list = Mailgate_V1_ListExpiringSecretsRequest()
            list.withinSeconds = within * 86400
            do {
                let found = try await self.call(
                    "/mailgate.v1.Admin/ListExpiringSecrets",
                    list,
                    returning: Mailgate_V1_ListExpiringSecretsResponse.self,
                    context: context
                )
                let language = context.language
                var data: [String: Any] = [
                    "within": within,
                    "secrets": found.secrets.sorted { $0.daysLeft < $1.daysLeft }.map { secret -> [String: Any] in
                        [
                            "tenant": secret.tenantSlug,
                            "server": secret.serverName,
                            "serverURL": URLPath.segment(secret.serverName),
                            "provider": language.text(
                                ServerForm.providerValues.first { $0.1 == secret.provider }?.2 ?? "provider_generic"
                            ),
                            "expires": Formatting.date(secret.expiresAt),
                            "daysLeft": secret.daysLeft < 0
                                ? language.text("expired") : language.text("days_left", ["days": "\(secret.daysLeft)"]),
                            "daysClass": ExpiryColour.cssClass(daysLeft: Int(secret.daysLeft), thresholds: []),
                            "source": language.text(Self.sourceKey(secret.source)),
                        ]
                    },
                ]
                if let own = context.session?.ownTenant {
                    data.merge(await self.chrome(own, context: context)) { _, new in new }
                }
                return self.pages.page("expiring", title: language.text("expiring_title"), data, context: context)
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.get("/tenants/:tenant/messages") { request, context in
            let tenant = context.parameters.value("tenant")
            let language = context.language
            var data = await self.chrome(tenant, context: context)
            let query = (request.uri.queryParameters.get("id") ?? "").trimmingCharacters(in: .whitespaces)
            data["query"] = query
            guard !query.isEmpty else {
                return self.pages.page("message", title: language.text("messages_title"), data, context: context)
            }
            var get = Mailgate_V1_GetMessageRequest()
            get.messageID = query
            do {
                let message = try await self.call(
                    "/mailgate.v1.Mailer/GetMessage",
                    get,
                    returning: Mailgate_V1_GetMessageResponse.self,
                    context: context,
                    tenant: tenant
                )
                data["message"] = Self.messageValues(message, language: language)
                return self.pages.page("message", title: language.text("messages_title"), data, context: context)
            } catch {
                data.merge(Self.errorBanner(error)) { _, new in new }
                return self.pages.page(
                    "message",
                    title: language.text("messages_title"),
                    data,
                    context: context,
                    status: Self.httpStatus(RPCError(converting: error).code)
                )
            }
        }
    }

    static func sourceKey(_ source: Mailgate_V1_ExpirySource) -> String {
        switch source {
        case .provider: "source_provider"
        case .estimated: "source_estimated"
        default: "source_operator"
        }
    }

    static func messageValues(_ message: Mailgate_V1_GetMessageResponse, language: Language) -> [String: Any] {
        let states: [Mailgate_V1_MessageState: (String, String)] = [
            .queued: ("state_queued", "info"), .sending: ("state_sending", "info"), .sent: ("state_sent", "good"),
            .failed: ("state_failed", "bad"), .cancelled: ("state_cancelled", "off"),
        ]
        let (stateKey, stateClass) = states[message.state] ?? ("state_queued", "info")
        return [
            "id": message.messageID,
            "rfc822": message.rfc822MessageID,
            "state": language.text(stateKey),
            "stateClass": stateClass,
            "uncertain": message.uncertain,
            "subject": message.subject,
            "created": Formatting.date(message.createdAt),
            "attempts": message.attempts,
            "nextAttempt": message.state == .queued ? Formatting.date(message.nextAttemptAt) : "",
            "lastError": message.lastError,
            "waitingReason": message.waitingReason,
            "recipients": message.recipientResults.isEmpty
                ? message.recipients.map { ["address": $0, "outcome": "", "reply": ""] }
                : message.recipientResults.map { result in
                    [
                        "address": result.address,
                        "outcome": result.replyCode == 0
                            ? "" : language.text(result.replyCode < 400 ? "accepted" : "refused"),
                        "reply": result.reply,
                    ]
                },
            "history": message.history.map { attempt in
                ["when": Formatting.date(attempt.startedAt), "outcome": attempt.outcome, "reply": attempt.reply]
            },
        ]
    }
}
