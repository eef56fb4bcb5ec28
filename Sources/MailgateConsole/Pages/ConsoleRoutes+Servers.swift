import Foundation
import Hummingbird
import MailgateCore
import MailgateProto
import MailgateRPC
import SwiftProtobuf

/// Output servers of a tenant: the list, the form (new from a preset, or a stored server),
/// saving and deleting.
extension ConsoleRoutes {
    func registerServerPages(on router: Router<ConsoleRequestContext>) {
        router.get("/tenants/:tenant/servers") { _, context in
            do {
                return try await self.serverList(context.parameters.value("tenant"), context: context)
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.get("/tenants/:tenant/new-server") { request, context in
            let tenant = context.parameters.value("tenant")
            let preset = request.uri.queryParameters.get("preset").flatMap(ServerForm.Preset.init(rawValue:))
            var server = preset?.server ?? Mailgate_V1_OutputServer()
            if preset == nil {
                server.port = 587
                server.security = .starttls
                server.authType = .none
            }
            return await self.serverPage(server, isNew: true, tenant: tenant, context: context)
        }
        router.get("/tenants/:tenant/servers/:server") { request, context in
            let tenant = context.parameters.value("tenant")
            do {
                let server = try await self.storedServer(
                    context.parameters.value("server"),
                    tenant: tenant,
                    context: context
                )
                let saved = request.uri.queryParameters.get("saved") != nil
                return await self.serverPage(
                    server,
                    isNew: false,
                    tenant: tenant,
                    extra: saved ? ["notice": context.language.text("server_saved")] : [:],
                    context: context
                )
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.post("/tenants/:tenant/server-save") { _, context in
            let tenant = context.parameters.value("tenant")
            let storedName = context.form["stored_name"]
            let (request, violations) = ServerForm.request(from: context.form, tenant: tenant)
            do {
                guard violations.isEmpty else {
                    throw RPCError(
                        code: .invalidArgument,
                        message: context.language.text("invalid_input"),
                        fieldViolations: violations
                    )
                }
                let saved = try await self.call(
                    "/mailgate.v1.Admin/PutServer",
                    request,
                    returning: Mailgate_V1_OutputServer.self,
                    context: context
                )
                return Response.seeOther("/tenants/\(tenant)/servers/\(URLPath.segment(saved.name))?saved=1")
            } catch {
                // The form again, as submitted (never its secrets), with what was wrong.
                let stored =
                    storedName.isEmpty
                    ? nil : try? await self.storedServer(storedName, tenant: tenant, context: context)
                var shown = Self.server(from: request, secretsOf: stored)
                if let stored { shown.version = stored.version }
                var banner = Self.errorBanner(error)
                let rpcError = RPCError(converting: error)
                if rpcError.code == .aborted || rpcError.reason == "VERSION_CONFLICT" {
                    banner["error"] = context.language.text("version_conflict") + " " + rpcError.message
                }
                return await self.serverPage(
                    shown,
                    isNew: stored == nil,
                    tenant: tenant,
                    extra: banner,
                    status: Self.httpStatus(rpcError.code),
                    context: context
                )
            }
        }
        router.post("/tenants/:tenant/servers/:server/delete") { _, context in
            let tenant = context.parameters.value("tenant")
            var request = Mailgate_V1_DeleteServerRequest()
            request.tenant = tenant
            request.server = context.parameters.value("server")
            request.expectedVersion = UInt64(context.form["expected_version"]) ?? 0
            do {
                _ = try await self.call(
                    "/mailgate.v1.Admin/DeleteServer",
                    request,
                    returning: Mailgate_V1_DeleteServerResponse.self,
                    context: context
                )
                return Response.seeOther("/tenants/\(tenant)/servers")
            } catch {
                return self.failure(error, context: context)
            }
        }
    }

    func storedServer(_ name: String, tenant: String, context: ConsoleRequestContext) async throws
        -> Mailgate_V1_OutputServer
    {
        var request = Mailgate_V1_GetServerRequest()
        request.tenant = tenant
        request.server = name
        return try await self.call("/mailgate.v1.Admin/GetServer", request, context: context)
    }

    private func serverList(_ tenant: String, context: ConsoleRequestContext) async throws -> Response {
        var servers: [Mailgate_V1_OutputServer] = []
        var request = Mailgate_V1_ListServersRequest()
        request.tenant = tenant
        request.pageSize = 500
        repeat {
            let page = try await self.call(
                "/mailgate.v1.Admin/ListServers",
                request,
                returning: Mailgate_V1_ListServersResponse.self,
                context: context
            )
            servers += page.servers
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty && servers.count < 10_000
        let language = context.language
        let thresholds = await self.warningThresholds(tenant, context: context)
        let rows = servers.map { server -> [String: Any] in
            var row: [String: Any] = [
                "name": server.name,
                "nameURL": URLPath.segment(server.name),
                "host": server.host,
                "port": server.port,
                "auth": language.text(ServerForm.authValues.first { $0.1 == server.authType }?.2 ?? "auth_none"),
                "isDefault": server.isDefault,
                "validated": server.hasLastValidatedAt,
                "validatedAt": Formatting.date(server.lastValidatedAt),
                "validationMark": server.lastValidationOk ? "✓" : "✗",
                "validationClass": server.lastValidationOk ? "good" : "bad",
                "validationText": language.text(server.lastValidationOk ? "check_ok" : "check_failed"),
            ]
            row.merge(ServerForm.deliveryCell(of: server, language: language)) { _, new in new }
            if server.clientSecret.hasExpiresAt {
                let days = Int((server.clientSecret.expiresAt.date.timeIntervalSinceNow / 86400).rounded(.down))
                row["expiry"] =
                    days < 0 ? language.text("expired") : language.text("days_left", ["days": "\(days)"])
                row["expiryClass"] = ExpiryColour.cssClass(daysLeft: days, thresholds: thresholds)
            }
            return row
        }
        var data: [String: Any] = ["servers": rows]
        data.merge(await self.chrome(tenant, context: context)) { _, new in new }
        return self.pages.page(
            "servers",
            title: "\(language.text("servers_title")) · \(tenant)",
            data,
            context: context
        )
    }

    private func serverPage(
        _ server: Mailgate_V1_OutputServer,
        isNew: Bool,
        tenant: String,
        extra: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        context: ConsoleRequestContext
    ) async -> Response {
        var data = ServerForm.values(of: server, isNew: isNew, language: context.language)
        if !isNew { data.merge(ServerForm.deliveryNotice(of: server, language: context.language)) { _, new in new } }
        data.merge(await self.chrome(tenant, context: context)) { _, new in new }
        if !isNew { data["consentAccount"] = await self.consentAccount(server, tenant: tenant, context: context) }
        data.merge(extra) { _, new in new }
        let title = isNew ? context.language.text("new_server") : "\(context.language.text("server")) \(server.name)"
        return self.pages.page("server-form", title: title, data, context: context, status: status)
    }

    /// Who gave the server's last consent, and when: the mailbox itself, or the delegate the
    /// provider named (from the consent's event); empty before any consent.
    func consentAccount(_ server: Mailgate_V1_OutputServer, tenant: String, context: ConsoleRequestContext) async
        -> String
    {
        guard server.authType == .oauth2, server.refreshToken.isSet else { return "" }
        var list = Mailgate_V1_ListEventsRequest()
        list.tenant = tenant
        list.server = server.name
        list.kind = EventKind.oauthConsentCompleted
        list.pageSize = 1
        guard
            let event = try? await self.call(
                "/mailgate.v1.Admin/ListEvents",
                list,
                returning: Mailgate_V1_ListEventsResponse.self,
                context: context
            ).events.first
        else { return "" }
        let account =
            event.details["signed_in_as"] ?? (server.username.isEmpty ? server.senderAddress : server.username)
        return context.language.text(
            "consent_given_by",
            ["account": account, "date": Formatting.date(event.createdAt)]
        )
    }

    /// The tenant's warning thresholds (days before a secret expires), largest first.
    private func warningThresholds(_ tenant: String, context: ConsoleRequestContext) async -> [Int] {
        var request = Mailgate_V1_GetTenantRequest()
        request.tenant = tenant
        let found = try? await self.call(
            "/mailgate.v1.Admin/GetTenant",
            request,
            returning: Mailgate_V1_Tenant.self,
            context: context
        )
        return (found?.expiryWarningDays ?? []).map(Int.init).sorted(by: >)
    }

    /// A put shown again in the form: its fields, and the stored server's secret states.
    static func server(from request: Mailgate_V1_PutServerRequest, secretsOf stored: Mailgate_V1_OutputServer?)
        -> Mailgate_V1_OutputServer
    {
        var server = Mailgate_V1_OutputServer()
        server.name = request.name
        server.host = request.host
        server.port = request.port
        server.security = request.security
        server.senderName = request.senderName
        server.senderAddress = request.senderAddress
        server.isDefault = request.isDefault
        server.authType = request.authType
        server.username = request.username
        server.oauth = request.oauth
        server.allowPlaintextAuth = request.allowPlaintextAuth
        server.rateLimitPerMinute = request.rateLimitPerMinute
        server.maxConnections = request.maxConnections
        server.dailyRecipientLimit = request.dailyRecipientLimit
        server.uncertainPolicy = request.uncertainPolicy
        server.discoverSecretExpiry = request.discoverSecretExpiry
        if let stored {
            server.password = stored.password
            server.clientSecret = stored.clientSecret
            server.refreshToken = stored.refreshToken
        }
        if request.hasClientSecretExpiresAt { server.clientSecret.expiresAt = request.clientSecretExpiresAt }
        return server
    }
}
