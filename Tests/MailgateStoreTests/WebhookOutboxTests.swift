import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// The webhook outbox as replicas share it, on a real PostgreSQL: two `WebhookOutbox`es
/// on one database stand for two replicas.
@Suite("Webhook outbox: queued with events, claims, leases")
struct WebhookOutboxTests {
    static let logger = Logger(label: "test")

    struct Fixture {
        let client: PostgresClient
        let vault: Vault
        let subscriptions: WebhookSubscriptionRepository
        let outbox: WebhookOutbox
        let events: EventRepository
        let tenantID: UUID

        /// Appends `count` events of `kind` for the fixture's tenant.
        func raise(_ count: Int, kind: String = EventKind.serverUpdated, severity: EventSeverity = .info) async throws {
            for index in 0..<count {
                try await self.events.append(
                    NewEvent(tenantID: self.tenantID, kind: kind, severity: severity, message: "event \(index)")
                )
            }
        }
    }

    func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        try await TestDatabase.withMigratedClient(logger: Self.logger) { client in
            let tenant = try await TenantRepository(client: client, logger: Self.logger)
                .create(slug: "acme", displayName: "Acme", alertContacts: [], actor: "test")
            let vault = Vault(keyRing: MasterKeyRing.generate().ring)
            try await body(
                Fixture(
                    client: client,
                    vault: vault,
                    subscriptions: WebhookSubscriptionRepository(client: client, vault: vault, logger: Self.logger),
                    outbox: WebhookOutbox(client: client, vault: vault, logger: Self.logger),
                    events: EventRepository(client: client, logger: Self.logger),
                    tenantID: tenant.id
                )
            )
        }
    }

    static func attempt(_ number: Int, status: Int) -> WebhookAttemptRecord {
        WebhookAttemptRecord(
            attempt: number,
            startedAt: Date(),
            durationMilliseconds: 5,
            status: status,
            responseExcerpt: "",
            error: status == 204 ? "" : "HTTP \(status)"
        )
    }

    @Test("two replicas claiming at once never get the same delivery, and each gets the event and the opened secret")
    func disjointClaims() async throws {
        try await self.withFixture { fixture in
            let put = try await fixture.subscriptions.put(
                tenantID: fixture.tenantID,
                WebhookSubscriptionDefinition(
                    name: "all",
                    url: "https://hooks.example.com",
                    kinds: [EventKind.serverUpdated]
                ),
                actor: "test"
            )
            try await fixture.raise(30)
            let other = WebhookOutbox(client: fixture.client, vault: fixture.vault, logger: Self.logger)
            async let first = fixture.outbox.claim(owner: "a", limit: 20, lease: .seconds(60))
            async let second = other.claim(owner: "b", limit: 20, lease: .seconds(60))
            let (a, b) = try await (first, second)
            #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)))
            #expect(a.count + b.count == 30)
            #expect((a + b).allSatisfy { $0.secret == put.secret && $0.payload.tenant.slug == "acme" })
            #expect((a + b).allSatisfy { $0.attempt == 1 && $0.payload.kind == EventKind.serverUpdated })
            #expect(try await fixture.outbox.claim(owner: "c", limit: 20, lease: .seconds(60)).isEmpty)
        }
    }

    @Test("a lease that ran out is taken by another worker; the first one's late result is not recorded")
    func expiredLease() async throws {
        try await self.withFixture { fixture in
            let put = try await fixture.subscriptions.put(
                tenantID: fixture.tenantID,
                WebhookSubscriptionDefinition(
                    name: "all",
                    url: "https://hooks.example.com",
                    kinds: [EventKind.serverUpdated]
                ),
                actor: "test"
            )
            try await fixture.raise(1)
            let first = try #require(
                try await fixture.outbox.claim(owner: "a", limit: 5, lease: .milliseconds(200)).first
            )
            try await Task.sleep(for: .milliseconds(400))
            let second = try #require(try await fixture.outbox.claim(owner: "b", limit: 5, lease: .seconds(60)).first)
            #expect(second.id == first.id && second.attempt == 2)
            #expect(
                !(try await fixture.outbox.complete(
                    first.id,
                    owner: "a",
                    attempt: Self.attempt(1, status: 204),
                    outcome: .delivered
                ))
            )
            #expect(
                try await fixture.outbox.complete(
                    second.id,
                    owner: "b",
                    attempt: Self.attempt(2, status: 204),
                    outcome: .delivered
                )
            )
            let delivery = try #require(
                try await fixture.outbox.deliveries(
                    tenantID: fixture.tenantID,
                    subscriptionID: put.subscription.id,
                    before: nil,
                    limit: 10
                ).first
            )
            #expect(delivery.state == .delivered && delivery.attempts == 2 && delivery.deliveredAt != nil)
            #expect(delivery.attemptLog.map(\.attempt) == [2])
        }
    }

    @Test("a retry waits for its time; a disabled subscription's deliveries wait; other tenants see none of them")
    func waiting() async throws {
        try await self.withFixture { fixture in
            let put = try await fixture.subscriptions.put(
                tenantID: fixture.tenantID,
                WebhookSubscriptionDefinition(
                    name: "all",
                    url: "https://hooks.example.com",
                    kinds: [EventKind.serverUpdated]
                ),
                actor: "test"
            )
            try await fixture.raise(1)
            let claimed = try #require(try await fixture.outbox.claim(owner: "a", limit: 5, lease: .seconds(60)).first)
            try await fixture.outbox.complete(
                claimed.id,
                owner: "a",
                attempt: Self.attempt(1, status: 500),
                outcome: .retry(at: Date().addingTimeInterval(3600))
            )
            #expect(try await fixture.outbox.claim(owner: "a", limit: 5, lease: .seconds(60)).isEmpty)
            let listed = try await fixture.outbox.deliveries(
                tenantID: fixture.tenantID,
                subscriptionID: put.subscription.id,
                before: nil,
                limit: 10
            )
            #expect(listed.first?.state == .pending && listed.first?.lastError == "HTTP 500")

            var disabled = put.subscription.definition
            disabled.enabled = false
            _ = try await fixture.subscriptions.put(tenantID: fixture.tenantID, disabled, actor: "test")
            try await fixture.client.query(
                "UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second'",
                logger: Self.logger
            )
            #expect(try await fixture.outbox.claim(owner: "a", limit: 5, lease: .seconds(60)).isEmpty)
            // Nor is anything queued for it while it is disabled.
            try await fixture.raise(1)
            let afterDisabling = try await fixture.outbox.deliveries(
                tenantID: fixture.tenantID,
                subscriptionID: put.subscription.id,
                before: nil,
                limit: 10
            )
            #expect(afterDisabling.count == 1)

            let other = try await TenantRepository(client: fixture.client, logger: Self.logger)
                .create(slug: "globex", displayName: "Globex", alertContacts: [], actor: "test")
            #expect(
                try await fixture.outbox.deliveries(
                    tenantID: other.id,
                    subscriptionID: put.subscription.id,
                    before: nil,
                    limit: 10
                ).isEmpty
            )
            #expect(try await fixture.subscriptions.find(tenantID: other.id, idOrName: "all") == nil)
        }
    }
}

@Suite("Webhook secrets under vault rotation")
struct WebhookSecretRotationTests {
    @Test("vault rotate re-seals webhook secrets under the active key; the old key can then leave the ring")
    func rotation() async throws {
        let logger = Logger(label: "test")
        try await TestDatabase.withMigratedClient(logger: logger) { client in
            let oldKey = "1:\(MasterKeyRing.randomKeyBase64())"
            let newKey = "2:\(MasterKeyRing.randomKeyBase64())"
            let tenant = try await TenantRepository(client: client, logger: logger)
                .create(slug: "acme", displayName: "Acme", alertContacts: [], actor: "test")
            let put = try await WebhookSubscriptionRepository(
                client: client,
                vault: Vault(keyRing: try MasterKeyRing(parsing: oldKey)),
                logger: logger
            ).put(
                tenantID: tenant.id,
                WebhookSubscriptionDefinition(name: "all", url: "https://hooks.example.com"),
                actor: "test"
            )
            let usage = MasterKeyUsage(client: client, logger: logger)
            #expect(try await usage.sealedValuesByKey()[1] == 1)

            let both = Vault(keyRing: try MasterKeyRing(parsing: "\(oldKey)\n\(newKey)"))
            let report = try await VaultRotation(client: client, vault: both, logger: logger).run()
            #expect(report.webhookSecrets == 1 && report.complete && report.unreadable.isEmpty)
            #expect(try await usage.sealedValuesByKey()[1] == nil)

            // Its own creation event waits for it, to be signed with the secret opened by the new key alone.
            let newOnly = Vault(keyRing: try MasterKeyRing(parsing: newKey))
            let claimed = try await WebhookOutbox(client: client, vault: newOnly, logger: logger)
                .claim(owner: "a", limit: 5, lease: .seconds(60))
            #expect(!claimed.isEmpty && claimed.allSatisfy { $0.secret == put.secret })
        }
    }
}
