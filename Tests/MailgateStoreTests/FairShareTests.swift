import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// Claims take mail in turns across tenants and, within a tenant, across its servers:
/// a backlog queued first never makes another tenant's mail wait behind all of it.
@Suite("Delivery queue: fair share across tenants and servers")
struct FairShareTests {
    static let logger = Logger(label: "test")

    struct Fixture {
        let client: PostgresClient
        let queue: DeliveryQueue
        let tenants: TenantRepository
        let servers: ServerRepository

        func tenant(_ slug: String) async throws -> UUID {
            try await self.tenants.create(slug: slug, displayName: slug, alertContacts: [], actor: "test").id
        }

        func server(_ name: String, tenant: UUID) async throws -> UUID {
            let definition = ServerDefinition(
                name: name,
                host: "127.0.0.1",
                port: 2525,
                security: ConnectionSecurity.none,
                senderAddress: "sender@example.com",
                authType: AuthenticationType.none
            )
            return try await self.servers.put(tenantID: tenant, name: name, expectedVersion: nil, actor: "test") { _ in
                (definition, SecretChanges())
            }.server.id
        }

        /// Queues `count` due messages on `server`, the first due `age` ago and each one a
        /// millisecond after the one before.
        func queue(_ count: Int, tenant: UUID, server: UUID, age: Duration) async throws {
            try await self.client.query(
                """
                INSERT INTO messages (id, tenant_id, server_id, state, content_digest, rfc822_message_id, subject,
                    envelope_from, recipients, pending_recipients, body, body_size, next_attempt_at)
                SELECT gen_random_uuid(), \(tenant), \(server), 'queued', '\\x00', '<x@example.com>', 'n',
                    'sender@example.com', '{a@example.org}', '{a@example.org}', '\\x00', 1,
                    now() - make_interval(secs => \(age.seconds)) + i * interval '1 millisecond'
                FROM generate_series(1, \(count)) i
                """,
                logger: FairShareTests.logger
            )
        }

        func setWeight(_ weight: Int, tenant: UUID) async throws {
            try await self.client.query(
                "UPDATE tenants SET delivery_weight = \(weight) WHERE id = \(tenant)",
                logger: FairShareTests.logger
            )
        }

        /// Claims a batch of `limit` and counts it by server.
        func claimCounts(_ limit: Int) async throws -> [UUID: Int] {
            let claimed = try await self.queue.claim(owner: "w", token: UUID(), limit: limit, lease: .seconds(60))
            #expect(claimed.count == limit, "a claim takes a full batch while mail is due")
            return claimed.reduce(into: [:]) { counts, message in counts[message.serverID, default: 0] += 1 }
        }
    }

    func withFixture(queuesPerClaim: Int = 256, _ body: (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withMigratedClient(logger: Self.logger) { client in
            try await body(
                Fixture(
                    client: client,
                    queue: DeliveryQueue(client: client, logger: Self.logger, queuesPerClaim: queuesPerClaim),
                    tenants: TenantRepository(client: client, logger: Self.logger),
                    servers: ServerRepository(
                        client: client,
                        vault: Vault(keyRing: MasterKeyRing.generate().ring),
                        logger: Self.logger
                    )
                )
            )
        }
    }

    @Test("a tenant's backlog queued an hour earlier does not hold back another tenant's mail")
    func backlogDoesNotBlockOthers() async throws {
        try await self.withFixture { fixture in
            let flood = try await fixture.tenant("flood")
            let quiet = try await fixture.tenant("quiet")
            let floodServer = try await fixture.server("relay", tenant: flood)
            let quietServer = try await fixture.server("relay", tenant: quiet)
            try await fixture.queue(2000, tenant: flood, server: floodServer, age: .seconds(3600))
            try await fixture.queue(3, tenant: quiet, server: quietServer, age: .seconds(1))

            // Ordered by due time alone, the first claims would be the flood's 2000.
            let counts = try await fixture.claimCounts(16)
            #expect(counts[quietServer] == 3, "\(counts)")
            #expect(counts[floodServer] == 13, "the rest of the batch is the flood's: the batch stays full")
        }
    }

    @Test("tenants with backlogs share each batch by their delivery weights")
    func weightedShares() async throws {
        try await self.withFixture { fixture in
            let heavy = try await fixture.tenant("heavy")
            let light = try await fixture.tenant("light")
            let heavyServer = try await fixture.server("relay", tenant: heavy)
            let lightServer = try await fixture.server("relay", tenant: light)
            try await fixture.queue(500, tenant: heavy, server: heavyServer, age: .seconds(60))
            try await fixture.queue(500, tenant: light, server: lightServer, age: .seconds(600))
            #expect(try await fixture.claimCounts(16) == [heavyServer: 8, lightServer: 8])

            try await fixture.setWeight(3, tenant: heavy)
            #expect(try await fixture.claimCounts(16) == [heavyServer: 12, lightServer: 4])
        }
    }

    @Test("within a tenant, a server's backlog does not hold back the tenant's other servers")
    func serversShareTheirTenantsTurns() async throws {
        try await self.withFixture { fixture in
            let acme = try await fixture.tenant("acme")
            let other = try await fixture.tenant("other")
            let bulk = try await fixture.server("bulk", tenant: acme)
            let alerts = try await fixture.server("alerts", tenant: acme)
            let otherServer = try await fixture.server("relay", tenant: other)
            try await fixture.queue(500, tenant: acme, server: bulk, age: .seconds(600))
            try await fixture.queue(500, tenant: acme, server: alerts, age: .seconds(60))
            try await fixture.queue(500, tenant: other, server: otherServer, age: .seconds(60))
            // Acme's half of each batch is split between its two servers.
            #expect(try await fixture.claimCounts(16) == [bulk: 4, alerts: 4, otherServer: 8])
        }
    }

    @Test("a tenant with many servers gets its share, no more: another tenant's one server is not crowded out")
    func manyServersOneShare() async throws {
        try await self.withFixture { fixture in
            let wide = try await fixture.tenant("wide")
            let narrow = try await fixture.tenant("narrow")
            var wideServers: [UUID] = []
            for index in 0..<40 {
                let server = try await fixture.server("relay-\(index)", tenant: wide)
                wideServers.append(server)
                try await fixture.queue(5, tenant: wide, server: server, age: .seconds(3600))
            }
            let narrowServer = try await fixture.server("relay", tenant: narrow)
            try await fixture.queue(100, tenant: narrow, server: narrowServer, age: .seconds(60))
            let counts = try await fixture.claimCounts(16)
            #expect(counts[narrowServer] == 8, "\(counts)")
            // The wide tenant's half is spread over eight of its servers, one message each.
            #expect(wideServers.compactMap { counts[$0] } == Array(repeating: 1, count: 8))
        }
    }

    @Test("with more queues than a claim looks at, successive claims go round all of them, none left waiting")
    func boundedWalkGoesRound() async throws {
        try await self.withFixture(queuesPerClaim: 3) { fixture in
            var servers: [UUID] = []
            for index in 0..<7 {
                let tenant = try await fixture.tenant("tenant-\(index)")
                let server = try await fixture.server("relay", tenant: tenant)
                servers.append(server)
                try await fixture.queue(2, tenant: tenant, server: server, age: .seconds(60))
            }
            // Seven queues, three looked at per claim: after three claims every queue was served
            // once, and no queue twice before every other once.
            var served: [UUID: Int] = [:]
            for _ in 0..<3 {
                let claimed = try await fixture.queue.claim(owner: "w", token: UUID(), limit: 3, lease: .seconds(60))
                #expect(!claimed.isEmpty)
                for message in claimed { served[message.serverID, default: 0] += 1 }
            }
            #expect(Set(served.keys) == Set(servers), "every queue was reached: \(served.count) of 7")
            #expect(served.values.allSatisfy { $0 <= 2 }, "\(served)")
            // The rest is claimed as well: nothing is stranded beyond the walk.
            var left = 14 - served.values.reduce(0, +)
            while left > 0 {
                let claimed = try await fixture.queue.claim(owner: "w", token: UUID(), limit: 3, lease: .seconds(60))
                #expect(!claimed.isEmpty, "\(left) messages left but none claimed")
                if claimed.isEmpty { break }
                left -= claimed.count
            }
        }
    }

    @Test("queues with nothing due in the first window do not hold back due mail further on")
    func windowWithNothingDueMovesOn() async throws {
        try await self.withFixture(queuesPerClaim: 2) { fixture in
            var due: UUID?
            for index in 0..<9 {
                let tenant = try await fixture.tenant("tenant-\(index)")
                let server = try await fixture.server("relay", tenant: tenant)
                // One queue has due mail; the others' mail is due in an hour.
                let age: Duration = index == 4 ? .seconds(60) : .seconds(-3600)
                try await fixture.queue(1, tenant: tenant, server: server, age: age)
                if index == 4 { due = server }
            }
            let claimed = try await fixture.queue.claim(owner: "w", token: UUID(), limit: 4, lease: .seconds(60))
            #expect(claimed.map(\.serverID) == [try #require(due)], "one claim finds the one due message")
        }
    }
}
