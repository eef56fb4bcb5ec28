import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension AdminHandlers {
    func registerEventMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "ListEvents",
            request: Mailgate_V1_ListEventsRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.optionalTenant(request.tenant, context: context)
            var serverID: UUID?
            if !request.server.isEmpty {
                // Filtering by a server of another tenant finds nothing, like any foreign id.
                guard let tenant,
                    let server = try await self.servers.find(tenantID: tenant.id, idOrName: request.server)
                else {
                    throw RPCError(code: .notFound, message: "No server \(request.server) in this tenant.")
                }
                serverID = server.id
            }
            let limit = PageToken.pageSize(request.pageSize)
            var beforeID: Int64?
            if let token = try PageToken.decode(request.pageToken) {
                guard let id = Int64(token) else {
                    throw RPCError(code: .invalidArgument, message: "The page token is not one this server issued.")
                }
                beforeID = id
            }
            let page = try await self.events.list(
                tenantID: tenant?.id,
                serverID: serverID,
                minimumSeverity: EventSeverity(rawValue: request.minSeverity.rawValue) ?? .info,
                kind: request.kind.isEmpty ? nil : request.kind,
                beforeID: beforeID,
                limit: limit + 1
            )
            var response = Mailgate_V1_ListEventsResponse()
            let (events, next) = PageToken.split(page, limit: limit) { String($0.id) }
            response.events = events.map(Mailgate_V1_Event.init)
            response.nextPageToken = next
            return response
        }
    }
}
