import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// The read state of the events table, on a real PostgreSQL.
@Suite("Event read state")
struct EventReadTests {
    static let logger = Logger(label: "test")

    @Test("marking by id or all touches only the tenant's unread events, and the counts follow")
    func markRead() async throws {
        try await TestDatabase.withMigratedClient(logger: Self.logger) { client in
            let tenants = TenantRepository(client: client, logger: Self.logger)
            let mine = try await tenants.create(slug: "mine", displayName: "Mine", alertContacts: [], actor: "test")
            let theirs = try await tenants.create(slug: "theirs", displayName: "", alertContacts: [], actor: "test")
            let events = EventRepository(client: client, logger: Self.logger)
            for (tenant, kind) in [(mine.id, "a"), (mine.id, "b"), (mine.id, "b"), (theirs.id, "a")] {
                try await events.append(NewEvent(tenantID: tenant, kind: kind, message: kind, details: [:]))
            }
            let filter = EventRepository.Filter(tenantID: mine.id)
            // tenant_created + three appended.
            #expect(try await events.unreadCount(filter) == 4)
            #expect(try await events.unreadCount(.init(tenantID: mine.id, kind: "b")) == 2)
            let foreign = try await events.list(tenantID: theirs.id, limit: 10).map(\.id)
            let own = try await events.list(tenantID: mine.id, kind: "b", limit: 10).map(\.id)

            let marked = try await events.markRead(tenantID: mine.id, ids: own + foreign + [999_999], by: "k1")
            #expect(marked == .init(marked: 2, unread: 2))
            #expect(try await events.unreadCount(.init(tenantID: theirs.id)) == 2, "the other tenant's untouched")
            let read = try await events.list(tenantID: mine.id, kind: "b", limit: 10)
            #expect(read.allSatisfy { $0.readBy == "k1" && $0.readAt != nil })
            #expect(try await events.list(.init(tenantID: mine.id, unreadOnly: true), limit: 10).count == 2)

            let rest = try await events.markAllRead(tenantID: mine.id, by: "k2")
            #expect(rest == .init(marked: 2, unread: 0))
            #expect(try await events.list(tenantID: mine.id, kind: "b", limit: 10).allSatisfy { $0.readBy == "k1" })
            #expect(try await events.unreadCount(.init(tenantID: nil)) == 2, "across tenants: the other's two")
        }
    }
}
