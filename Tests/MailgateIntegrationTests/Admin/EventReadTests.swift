import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

@Suite("Events: read state")
struct EventReadTests {
    /// The tenant's events as `client` lists them, with the unread count.
    static func list(
        _ client: MailgateClient,
        tenant: String = "",
        kind: String = "",
        unreadOnly: Bool = false
    ) async throws -> Mailgate_V1_ListEventsResponse {
        var request = Mailgate_V1_ListEventsRequest()
        request.tenant = tenant
        request.kind = kind
        request.unreadOnly = unreadOnly
        return try await client.listEvents(request)
    }

    static func mark(_ client: MailgateClient, _ ids: [String] = [], all: Bool = false, tenant: String = "")
        async throws -> Mailgate_V1_MarkEventsReadResponse
    {
        var request = Mailgate_V1_MarkEventsReadRequest()
        request.tenant = tenant
        request.eventIds = ids
        request.all = all
        return try await client.markEventsRead(request)
    }

    @Test("a tenant key marks its own events read: read_at and read_by show, unread_count falls, unread_only filters")
    func markingRead() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("reader")
            try await fixture.putBasicServer("one", tenant: "reader")
            try await fixture.putBasicServer("two", tenant: "reader")
            let secret = try await fixture.createTenantKey("reader")
            let keyID = try #require(APIKey(parsing: secret)).id
            let client = fixture.client(apiKey: secret)
            defer { Task { await client.close() } }

            let initial = try await Self.list(client)
            // tenant_created, server_created ×2, api_key_created.
            #expect(initial.events.count == 4)
            #expect(initial.unreadCount == 4)
            #expect(initial.events.allSatisfy { !$0.hasReadAt && $0.readBy.isEmpty })
            #expect(try await Self.list(client, kind: "server_created").unreadCount == 2, "counts follow the filters")

            let first = try #require(initial.events.last)
            let marked = try await Self.mark(client, [first.id])
            #expect(marked.marked == 1 && marked.unreadCount == 3)
            let again = try await Self.mark(client, [first.id])
            #expect(again.marked == 0 && again.unreadCount == 3, "an event already read is not marked twice")

            let after = try await Self.list(client)
            #expect(after.unreadCount == 3)
            let read = try #require(after.events.first { $0.id == first.id })
            #expect(read.hasReadAt && read.readBy == keyID)
            let unread = try await Self.list(client, unreadOnly: true)
            #expect(unread.events.count == 3 && !unread.events.contains { $0.id == first.id })
            #expect(unread.unreadCount == 3)

            let rest = try await Self.mark(client, all: true)
            #expect(rest.marked == 3 && rest.unreadCount == 0)
            #expect(try await Self.list(client, unreadOnly: true).events.isEmpty)
            #expect(try await Self.list(client).events.count == 4, "read events are still listed")
        }
    }

    @Test("ids of another tenant's events are not marked, nor revealed; operators mark any tenant's")
    func isolation() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("left")
            try await fixture.createTenant("right")
            try await fixture.putBasicServer("relay", tenant: "right")
            let client = fixture.client(apiKey: try await fixture.createTenantKey("left"))
            defer { Task { await client.close() } }
            let operatorClient = fixture.operatorClient

            let right = try await Self.list(operatorClient, tenant: "right")
            #expect(right.unreadCount == 2)
            let foreign = try await Self.mark(client, right.events.map(\.id))
            #expect(foreign.marked == 0)
            #expect(foreign.unreadCount == (try await Self.list(client)).unreadCount, "the caller's own count")
            #expect(try await Self.list(operatorClient, tenant: "right").unreadCount == 2, "nothing marked over there")

            let naming = await expectRPCError { _ = try await Self.mark(client, all: true, tenant: "right") }
            #expect(naming?.code == .notFound, "a tenant key cannot name another tenant")

            let byOperator = try await Self.mark(operatorClient, [right.events[0].id], tenant: "right")
            #expect(byOperator.marked == 1 && byOperator.unreadCount == 1)
            let marked = try await Self.list(operatorClient, tenant: "right")
            #expect(marked.events[0].readBy == testOperatorKey.id)
            #expect(try await Self.list(client).events.allSatisfy { !$0.hasReadAt }, "the left tenant's untouched")

            // Operators listing every tenant see the count across them.
            let everything = try await Self.list(operatorClient)
            #expect(everything.unreadCount == everything.events.filter { !$0.hasReadAt }.count)
        }
    }

    @Test("bad requests: no ids without all, an id that is not one, an operator naming no tenant")
    func badRequests() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("strict")
            let empty = await expectRPCError { _ = try await Self.mark(fixture.operatorClient, tenant: "strict") }
            #expect(empty?.code == .invalidArgument && empty?.fieldViolations.first?.field == "event_ids")
            let garbage = await expectRPCError {
                _ = try await Self.mark(fixture.operatorClient, ["1", "x1"], tenant: "strict")
            }
            #expect(garbage?.code == .invalidArgument && garbage?.fieldViolations.first?.field == "event_ids[1]")
            let noTenant = await expectRPCError { _ = try await Self.mark(fixture.operatorClient, all: true) }
            #expect(noTenant?.code == .invalidArgument)
        }
    }
}
