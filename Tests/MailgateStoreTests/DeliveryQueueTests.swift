import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// The queue as replicas share it, on a real PostgreSQL: two `DeliveryQueue`s on one
/// database stand for two replicas.
@Suite("Delivery queue: claims, limits, leases")
struct DeliveryQueueTests {
    static let logger = Logger(label: "test")

    struct Fixture {
        let client: PostgresClient
        let queue: DeliveryQueue
        let messages: MessageRepository
        let tenantID: UUID
        let serverID: UUID

        /// Queues `count` messages to the fixture's server.
        func enqueue(_ count: Int, key: String? = nil) async throws -> [UUID] {
            var ids: [UUID] = []
            for index in 0..<count {
                let message = NewMessage(
                    tenantID: self.tenantID,
                    serverID: self.serverID,
                    idempotencyKey: key.map { "\($0)-\(index)" },
                    contentDigest: [1, 2, 3],
                    rfc822MessageID: "<\(UUID())@example.com>",
                    subject: "n\(index)",
                    envelopeFrom: "sender@example.com",
                    recipients: ["a@example.org", "b@example.org"],
                    body: Array("Subject: n\(index)\r\n\r\nbody\r\n".utf8),
                    requiresSMTPUTF8: false,
                    tags: [:],
                    notBefore: nil
                )
                guard
                    case .queued(let record) = try await self.messages.enqueue(
                        message,
                        idempotencyWindow: .seconds(3600)
                    )
                else {
                    Issue.record("expected a new message")
                    continue
                }
                ids.append(record.id)
            }
            return ids
        }

        func state(_ id: UUID) async throws -> (String, Bool, Int) {
            let rows = try await self.client.query(
                "SELECT state, uncertain, attempts FROM messages WHERE id = \(id)",
                logger: DeliveryQueueTests.logger
            )
            for try await row in rows.decode((String, Bool, Int).self) { return row }
            throw TestEnvironmentError("no message \(id)")
        }

        func expireLeases() async throws {
            try await self.client.query(
                "UPDATE messages SET lease_expires_at = now() - interval '1 second' WHERE state = 'sending'",
                logger: DeliveryQueueTests.logger
            )
        }
    }

    func withFixture(
        server customize: (inout ServerDefinition) -> Void = { _ in },
        _ body: (Fixture) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedClient(logger: Self.logger) { client in
            let tenant = try await TenantRepository(client: client, logger: Self.logger)
                .create(slug: "acme", displayName: "Acme", alertContacts: [], actor: "test")
            var definition = ServerDefinition(
                name: "relay",
                host: "127.0.0.1",
                port: 2525,
                security: ConnectionSecurity.none,
                senderAddress: "sender@example.com",
                authType: AuthenticationType.none
            )
            customize(&definition)
            let prepared = definition
            let servers = ServerRepository(
                client: client,
                vault: Vault(keyRing: MasterKeyRing.generate().ring),
                logger: Self.logger
            )
            let server = try await servers.put(
                tenantID: tenant.id,
                name: "relay",
                expectedVersion: nil,
                actor: "test"
            ) { _ in
                (prepared, SecretChanges())
            }
            try await body(
                Fixture(
                    client: client,
                    queue: DeliveryQueue(client: client, logger: Self.logger),
                    messages: MessageRepository(client: client, logger: Self.logger),
                    tenantID: tenant.id,
                    serverID: server.server.id
                )
            )
        }
    }

    @Test("two replicas claiming at once never get the same message")
    func disjointClaims() async throws {
        try await self.withFixture { fixture in
            let ids = try await fixture.enqueue(40)
            let other = DeliveryQueue(client: fixture.client, logger: Self.logger)
            async let first = fixture.queue.claim(owner: "a", token: UUID(), limit: 25, lease: .seconds(60))
            async let second = other.claim(owner: "b", token: UUID(), limit: 25, lease: .seconds(60))
            let (a, b) = try await (first, second)
            #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)))
            #expect(a.count + b.count == 40)
            #expect(Set(a.map(\.id) + b.map(\.id)) == Set(ids))
            #expect(try await fixture.queue.claim(owner: "c", token: UUID(), limit: 10, lease: .seconds(60)).isEmpty)
        }
    }

    @Test("a result under a claim that expired and was taken over is dropped")
    func staleResultDropped() async throws {
        try await self.withFixture { fixture in
            let id = try #require(try await fixture.enqueue(1).first)
            let oldToken = UUID()
            let claimed = try await fixture.queue.claim(owner: "a", token: oldToken, limit: 1, lease: .seconds(60))
            #expect(claimed.map(\.id) == [id])
            try await fixture.expireLeases()
            #expect(try await fixture.queue.recoverExpiredLeases() == 1)
            let (state, uncertain, _) = try await fixture.state(id)
            #expect(state == "queued")
            #expect(uncertain, "the dead claim may have reached the server")
            let newToken = UUID()
            #expect(
                try await fixture.queue.claim(owner: "b", token: newToken, limit: 1, lease: .seconds(60)).map(\.id) == [
                    id
                ]
            )
            let failed = AttemptResult(
                messageID: id,
                decision: .failed(reason: "late 550"),
                startedAt: Date(),
                durationMilliseconds: 1,
                outcome: "permanent_failure",
                stage: "data",
                replyCode: 550,
                reply: "550 late"
            )
            #expect(try await fixture.queue.complete(owner: "a", token: oldToken, results: [failed]).isEmpty)
            let sent = AttemptResult(
                messageID: id,
                decision: .sent,
                startedAt: Date(),
                durationMilliseconds: 1,
                outcome: "delivered",
                stage: "done",
                replyCode: 250,
                reply: "250 ok"
            )
            #expect(try await fixture.queue.complete(owner: "b", token: newToken, results: [sent]) == [id])
            #expect(try await fixture.state(id).0 == "sent")
        }
    }

    @Test("under policy fail, recovery fails only a message whose transaction had started")
    func failPolicyRecovery() async throws {
        try await self.withFixture(server: { $0.uncertainPolicy = .fail }) { fixture in
            let ids = try await fixture.enqueue(2)
            let token = UUID()
            let claimed = try await fixture.queue.claim(owner: "a", token: token, limit: 2, lease: .seconds(60))
            #expect(claimed.count == 2)
            try await fixture.queue.markStarted(token: token, id: ids[0])
            try await fixture.expireLeases()
            #expect(try await fixture.queue.recoverExpiredLeases() == 2)
            let started = try await fixture.state(ids[0])
            let untouched = try await fixture.state(ids[1])
            #expect(started.0 == "failed" && started.1)
            #expect(untouched.0 == "queued" && !untouched.1 && untouched.2 == 0)
        }
    }

    @Test("a synchronous send (a validation's test message) whose lease runs out fails; no worker ever sends it again")
    func synchronousSendRecovery() async throws {
        try await self.withFixture { fixture in
            let message = NewMessage(
                tenantID: fixture.tenantID,
                serverID: fixture.serverID,
                idempotencyKey: nil,
                contentDigest: [],
                rfc822MessageID: "<\(UUID())@example.com>",
                subject: "test",
                envelopeFrom: "sender@example.com",
                recipients: ["a@example.org"],
                body: Array("Subject: test\r\n\r\nbody\r\n".utf8),
                requiresSMTPUTF8: false,
                tags: [:],
                notBefore: nil
            )
            let claimed = try await fixture.queue.insertClaimed(
                message,
                owner: DeliveryQueue.synchronousOwnerPrefix + "replica-a",
                token: UUID(),
                lease: .seconds(60)
            )
            #expect(
                try await fixture.queue.claim(owner: "worker", token: UUID(), limit: 10, lease: .seconds(60)).isEmpty,
                "no worker takes it"
            )
            try await fixture.expireLeases()
            #expect(try await fixture.queue.recoverExpiredLeases() == 1)
            let (state, uncertain, _) = try await fixture.state(claimed.id)
            #expect(state == "failed" && uncertain)
            #expect(
                try await fixture.queue.claim(owner: "worker", token: UUID(), limit: 10, lease: .seconds(60)).isEmpty
            )
        }
    }

    @Test("a connection limit holds across replicas; a rate limit pauses the server for everyone")
    func limitsAcrossReplicas() async throws {
        try await self.withFixture(server: { $0.maxConnections = 2 }) { fixture in
            _ = try await fixture.enqueue(6)
            let other = DeliveryQueue(client: fixture.client, logger: Self.logger)
            let a = try await fixture.queue.claim(owner: "a", token: UUID(), limit: 6, lease: .seconds(60))
            let b = try await other.claim(owner: "b", token: UUID(), limit: 6, lease: .seconds(60))
            #expect(a.count == 2)
            #expect(b.isEmpty, "both connections are busy")
        }
        try await self.withFixture(server: { $0.rateLimitPerMinute = 3 }) { fixture in
            _ = try await fixture.enqueue(6)
            let other = DeliveryQueue(client: fixture.client, logger: Self.logger)
            let a = try await fixture.queue.claim(owner: "a", token: UUID(), limit: 2, lease: .seconds(60))
            let b = try await other.claim(owner: "b", token: UUID(), limit: 6, lease: .seconds(60))
            let c = try await fixture.queue.claim(owner: "a", token: UUID(), limit: 6, lease: .seconds(60))
            #expect(a.count + b.count + c.count == 3)
            let rows = try await fixture.client.query(
                "SELECT count(*) FROM server_throttles WHERE throttled_until > now()",
                logger: Self.logger
            )
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test("idempotency keys in one batch of concurrent inserts: each stored once, replays find the first")
    func concurrentKeys() async throws {
        try await self.withFixture { fixture in
            let message = NewMessage(
                tenantID: fixture.tenantID,
                serverID: fixture.serverID,
                idempotencyKey: "same",
                contentDigest: [9],
                rfc822MessageID: "<x@example.com>",
                subject: "s",
                envelopeFrom: "sender@example.com",
                recipients: ["a@example.org"],
                body: Array("x".utf8),
                requiresSMTPUTF8: false,
                tags: [:],
                notBefore: nil
            )
            let outcomes = try await withThrowingTaskGroup(of: UUID.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        var copy = message
                        copy.id = UUID()
                        switch try await fixture.messages.enqueue(copy, idempotencyWindow: .seconds(3600)) {
                        case .queued(let record), .replayed(let record): return record.id
                        }
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0.append($1) }
            }
            #expect(Set(outcomes).count == 1)
            let rows = try await fixture.client.query("SELECT count(*) FROM messages", logger: Self.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test("purging drops old bodies and frees old idempotency keys; the outcome stays")
    func purge() async throws {
        try await self.withFixture { fixture in
            let id = try #require(try await fixture.enqueue(1, key: "k").first)
            let token = UUID()
            _ = try await fixture.queue.claim(owner: "a", token: token, limit: 1, lease: .seconds(60))
            let sent = AttemptResult(
                messageID: id,
                decision: .sent,
                startedAt: Date(),
                durationMilliseconds: 1,
                outcome: "delivered",
                stage: "done",
                replyCode: 250,
                reply: "250 ok"
            )
            try await fixture.queue.complete(owner: "a", token: token, results: [sent])
            #expect(
                try await fixture.queue.purge(retention: .seconds(7 * 86400), idempotencyWindow: .seconds(86400)) == (
                    0, 0
                )
            )
            try await fixture.client.query(
                "UPDATE messages SET finished_at = now() - interval '8 days', created_at = now() - interval '8 days'",
                logger: Self.logger
            )
            #expect(
                try await fixture.queue.purge(retention: .seconds(7 * 86400), idempotencyWindow: .seconds(86400)) == (
                    1, 1
                )
            )
            let record = try #require(try await fixture.messages.find(tenantID: fixture.tenantID, id: id))
            #expect(record.state == .sent && record.bodyPurged)
            #expect(record.history.map(\.outcome) == ["delivered"])
            let again = try await fixture.enqueue(1, key: "k")
            #expect(again.count == 1 && again.first != id, "the key is free again after its window")
        }
    }
}
