import Foundation
import Hummingbird
import MailgateProto

/// Tenants (operators): the list, creation, settings, enabling and disabling, API keys.
extension ConsoleRoutes {
    func registerTenantPages(on router: Router<ConsoleRequestContext>) {
        router.get("/tenants") { _, context in
            do {
                return try await self.tenantList(context: context)
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.post("/tenants") { _, context in
            var request = Mailgate_V1_CreateTenantRequest()
            request.slug = context.form["slug"].trimmingCharacters(in: .whitespaces)
            request.displayName = context.form["display_name"]
            request.alertContacts = Self.list(context.form["alert_contacts"])
            do {
                let tenant = try await self.call(
                    "/mailgate.v1.Admin/CreateTenant",
                    request,
                    returning: Mailgate_V1_Tenant.self,
                    context: context
                )
                return Response.seeOther("/tenants/\(tenant.slug)")
            } catch {
                return (try? await self.tenantList(banner: Self.errorBanner(error), context: context))
                    ?? self.failure(error, context: context)
            }
        }
        router.get("/tenants/:tenant") { _, context in
            do {
                return try await self.tenantPage(context.parameters.value("tenant"), context: context)
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.post("/tenants/:tenant/settings") { _, context in
            let slug = context.parameters.value("tenant")
            var request = Mailgate_V1_UpdateTenantRequest()
            request.tenant = slug
            request.displayName = context.form["display_name"]
            request.alertContacts = Self.list(context.form["alert_contacts"])
            request.updateAlertContacts = true
            request.expiryWarningDays = Self.list(context.form["warning_days"]).compactMap { UInt32($0) }
            request.updateExpiryWarningDays = true
            return await self.updateTenant(request, context: context)
        }
        router.post("/tenants/:tenant/status") { _, context in
            var request = Mailgate_V1_UpdateTenantRequest()
            request.tenant = context.parameters.value("tenant")
            request.status = context.form["status"] == "disabled" ? .disabled : .active
            return await self.updateTenant(request, context: context)
        }
        router.post("/tenants/:tenant/keys") { _, context in
            let slug = context.parameters.value("tenant")
            var request = Mailgate_V1_CreateApiKeyRequest()
            request.scope = .tenant
            request.tenant = slug
            request.description_p = context.form["description"]
            do {
                let created = try await self.call(
                    "/mailgate.v1.Admin/CreateApiKey",
                    request,
                    returning: Mailgate_V1_CreateApiKeyResponse.self,
                    context: context
                )
                return self.pages.page(
                    "key-created",
                    title: context.language.text("key_created"),
                    ["secret": created.secret, "slug": slug, "tenant": slug],
                    context: context
                )
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.post("/tenants/:tenant/keys/:key/revoke") { _, context in
            let slug = context.parameters.value("tenant")
            var request = Mailgate_V1_RevokeApiKeyRequest()
            request.keyID = context.parameters.value("key")
            do {
                _ = try await self.call(
                    "/mailgate.v1.Admin/RevokeApiKey",
                    request,
                    returning: Mailgate_V1_ApiKey.self,
                    context: context
                )
                return Response.seeOther("/tenants/\(slug)")
            } catch {
                return self.failure(error, context: context)
            }
        }
    }

    private func updateTenant(_ request: Mailgate_V1_UpdateTenantRequest, context: ConsoleRequestContext) async
        -> Response
    {
        do {
            _ = try await self.call(
                "/mailgate.v1.Admin/UpdateTenant",
                request,
                returning: Mailgate_V1_Tenant.self,
                context: context
            )
            return Response.seeOther("/tenants/\(request.tenant)")
        } catch {
            return (try? await self.tenantPage(request.tenant, banner: Self.errorBanner(error), context: context))
                ?? self.failure(error, context: context)
        }
    }

    private func tenantList(banner: [String: Any] = [:], context: ConsoleRequestContext) async throws -> Response {
        var tenants: [Mailgate_V1_Tenant] = []
        var request = Mailgate_V1_ListTenantsRequest()
        request.pageSize = 500
        repeat {
            let page = try await self.call(
                "/mailgate.v1.Admin/ListTenants",
                request,
                returning: Mailgate_V1_ListTenantsResponse.self,
                context: context
            )
            tenants += page.tenants
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty && tenants.count < 10_000
        let language = context.language
        var data: [String: Any] = [
            "tenants": tenants.map { tenant -> [String: Any] in
                [
                    "slug": tenant.slug,
                    "displayName": tenant.displayName,
                    "statusText": language.text(tenant.status == .disabled ? "disabled" : "active"),
                    "statusClass": tenant.status == .disabled ? "off" : "ok",
                    "queued": tenant.usage.queuedMessages,
                ]
            }
        ]
        data.merge(banner) { _, new in new }
        return self.pages.page(
            "tenants",
            title: language.text("tenants_title"),
            data,
            context: context,
            status: banner.isEmpty ? .ok : .badRequest
        )
    }

    private func tenantPage(_ slug: String, banner: [String: Any] = [:], context: ConsoleRequestContext) async throws
        -> Response
    {
        var get = Mailgate_V1_GetTenantRequest()
        get.tenant = slug
        let tenant = try await self.call(
            "/mailgate.v1.Admin/GetTenant",
            get,
            returning: Mailgate_V1_Tenant.self,
            context: context
        )
        var listKeys = Mailgate_V1_ListApiKeysRequest()
        listKeys.tenant = tenant.slug
        listKeys.includeRevoked = true
        let keys = try await self.call(
            "/mailgate.v1.Admin/ListApiKeys",
            listKeys,
            returning: Mailgate_V1_ListApiKeysResponse.self,
            context: context
        ).keys
        let language = context.language
        let disabled = tenant.status == .disabled
        var data: [String: Any] = [
            "slug": tenant.slug,
            "tenant": tenant.slug,
            "displayName": tenant.displayName,
            "alertContacts": tenant.alertContacts.joined(separator: ", "),
            "warningDays": tenant.expiryWarningDays.map(String.init).joined(separator: ", "),
            "statusText": language.text(disabled ? "disabled" : "active"),
            "statusClass": disabled ? "off" : "ok",
            "toggleStatus": disabled ? "active" : "disabled",
            "toggleText": language.text(disabled ? "enable_tenant" : "disable_tenant"),
            "toggleClass": disabled ? "" : "danger",
            "keys": keys.map { key -> [String: Any] in
                [
                    "id": key.id,
                    "description": key.description_p,
                    "created": Formatting.date(key.createdAt),
                    "lastUsed": key.hasLastUsedAt ? Formatting.date(key.lastUsedAt) : language.text("never"),
                    "revoked": key.hasRevokedAt,
                ]
            },
        ]
        data.merge(banner) { _, new in new }
        return self.pages.page(
            "tenant",
            title: "\(language.text("tenant")) \(tenant.slug)",
            data,
            context: context,
            status: banner.isEmpty ? .ok : .badRequest
        )
    }

    /// A comma-, space- or line-separated list.
    static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " || $0 == ";" || $0 == "\r" })
            .map(String.init)
            .filter { !$0.isEmpty }
    }
}
