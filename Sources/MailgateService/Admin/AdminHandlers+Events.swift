import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension AdminHandlers {
    /// Ids one MarkEventsRead may name; more is INVALID_ARGUMENT (`all` marks any number).
    static let maximumEventIDsPerMark = 1000

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
            let filter = EventRepository.Filter(
                tenantID: tenant?.id,
                serverID: serverID,
                minimumSeverity: EventSeverity(rawValue: request.minSeverity.rawValue) ?? .info,
                kind: request.kind.isEmpty ? nil : request.kind,
                unreadOnly: request.unreadOnly
            )
            let page = try await self.events.list(filter, beforeID: beforeID, limit: limit + 1)
            var response = Mailgate_V1_ListEventsResponse()
            let (events, next) = PageToken.split(page, limit: limit) { String($0.id) }
            response.events = events.map(Mailgate_V1_Event.init)
            response.nextPageToken = next
            response.unreadCount = UInt32(clamping: try await self.events.unreadCount(filter))
            return response
        }

        router.registerStoreBacked(
            Self.service + "MarkEventsRead",
            request: Mailgate_V1_MarkEventsReadRequest.self,
            health: self.health
        ) { request, context in
            // Reading the panel is not a configuration change: tenant keys mark their own
            // tenant's events, operator keys any tenant's.
            let principal = try context.requirePrincipal()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let outcome: EventRepository.MarkedRead
            if request.all {
                outcome = try await self.events.markAllRead(tenantID: tenant.id, by: principal.keyID)
            } else {
                outcome = try await self.events.markRead(
                    tenantID: tenant.id,
                    ids: try Self.eventIDs(request.eventIds),
                    by: principal.keyID
                )
            }
            var response = Mailgate_V1_MarkEventsReadResponse()
            response.marked = UInt32(clamping: outcome.marked)
            response.unreadCount = UInt32(clamping: outcome.unread)
            return response
        }
    }

    /// The event ids of a MarkEventsRead, or INVALID_ARGUMENT naming the first bad one.
    static func eventIDs(_ texts: [String]) throws -> [Int64] {
        guard !texts.isEmpty else {
            throw ValidationError(
                "Name the events to mark read, or set all.",
                violations: [Violation("event_ids", "is required unless all is set")]
            )
        }
        guard texts.count <= Self.maximumEventIDsPerMark else {
            throw ValidationError(
                "At most \(Self.maximumEventIDsPerMark) event ids per call; set all to mark every event read.",
                violations: [Violation("event_ids", "more than \(Self.maximumEventIDsPerMark) ids")]
            )
        }
        return try texts.enumerated().map { index, text in
            guard let id = Int64(text), id > 0 else {
                throw ValidationError(
                    "\"\(text.prefix(32))\" is not an event id.",
                    violations: [Violation("event_ids[\(index)]", "must be an id ListEvents returned")]
                )
            }
            return id
        }
    }
}
