import Foundation
import Hummingbird
import MailgateProto

/// The notification panel: a tenant's events, newest first, filtered by severity, kind and
/// read state; marking them read (the read state is the API's, shared by every key).
extension ConsoleRoutes {
    static let severities: [(String, Mailgate_V1_Severity, String)] = [
        ("", .unspecified, "severity_any"), ("info", .info, "severity_info"),
        ("warning", .warning, "severity_warning"), ("error", .error, "severity_error"),
        ("critical", .critical, "severity_critical"),
    ]

    func registerEventPages(on router: Router<ConsoleRequestContext>) {
        router.get("/tenants/:tenant/events") { request, context in
            let tenant = context.parameters.value("tenant")
            let query = request.uri.queryParameters
            let severity = query.get("severity") ?? ""
            var list = Mailgate_V1_ListEventsRequest()
            list.tenant = tenant
            list.pageSize = 50
            list.pageToken = query.get("page") ?? ""
            list.kind = query.get("kind") ?? ""
            list.minSeverity = Self.severities.first { $0.0 == severity }?.1 ?? .unspecified
            list.unreadOnly = query.get("unread") != nil
            do {
                let page = try await self.call(
                    "/mailgate.v1.Admin/ListEvents",
                    list,
                    returning: Mailgate_V1_ListEventsResponse.self,
                    context: context
                )
                let language = context.language
                var data = await self.chrome(tenant, context: context)
                data["kind"] = list.kind
                data["unreadOnly"] = list.unreadOnly
                data["severityOptions"] = Self.severities.map {
                    ["value": $0.0, "label": language.text($0.2), "selected": $0.0 == severity] as [String: Any]
                }
                data["events"] = page.events.map { event -> [String: Any] in
                    let severity = Self.severities.first { $0.1 == event.severity }
                    return [
                        "id": event.id,
                        "when": Formatting.date(event.createdAt),
                        "severity": language.text(severity?.2 ?? "severity_info"),
                        "severityClass": Self.severityClass(event.severity),
                        "kind": event.kind,
                        "message": event.message,
                        "unread": !event.hasReadAt,
                    ]
                }
                if !page.nextPageToken.isEmpty {
                    var next = URLComponents()
                    next.path = "/tenants/\(tenant)/events"
                    next.queryItems =
                        [
                            URLQueryItem(name: "page", value: page.nextPageToken),
                            URLQueryItem(name: "severity", value: severity),
                            URLQueryItem(name: "kind", value: list.kind),
                        ] + (list.unreadOnly ? [URLQueryItem(name: "unread", value: "1")] : [])
                    data["nextPage"] = next.string
                }
                return self.pages.page(
                    "events",
                    title: "\(language.text("events_title")) · \(tenant)",
                    data,
                    context: context
                )
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.post("/tenants/:tenant/events/read") { _, context in
            let tenant = context.parameters.value("tenant")
            var mark = Mailgate_V1_MarkEventsReadRequest()
            mark.tenant = tenant
            mark.all = context.form["mark"] == "all"
            mark.eventIds = context.form.fields.keys.filter { $0.hasPrefix("event_") }.map { String($0.dropFirst(6)) }
                .sorted()
            // Nothing ticked: nothing to mark.
            guard mark.all || !mark.eventIds.isEmpty else { return Response.seeOther("/tenants/\(tenant)/events") }
            do {
                _ = try await self.call(
                    "/mailgate.v1.Admin/MarkEventsRead",
                    mark,
                    returning: Mailgate_V1_MarkEventsReadResponse.self,
                    context: context
                )
                return Response.seeOther("/tenants/\(tenant)/events")
            } catch {
                return self.failure(error, context: context)
            }
        }
    }

    static func severityClass(_ severity: Mailgate_V1_Severity) -> String {
        switch severity {
        case .critical, .error: "bad"
        case .warning: "warn"
        default: "info"
        }
    }

    /// How many of the tenant's events are unread: the header's badge.
    func unreadCount(_ tenant: String, context: ConsoleRequestContext) async -> UInt32 {
        var list = Mailgate_V1_ListEventsRequest()
        list.tenant = tenant
        list.pageSize = 1
        list.unreadOnly = true
        let page = try? await self.call(
            "/mailgate.v1.Admin/ListEvents",
            list,
            returning: Mailgate_V1_ListEventsResponse.self,
            context: context
        )
        return page?.unreadCount ?? 0
    }
}
