import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// Blocked servers, held tenants and lost commits, on a real PostgreSQL.
@Suite("Server blocks, held tenants, lost commits")
struct ServerBlockTests {
    static let logger = Logger(label: "test")

    /// Blocks the fixture's server for an untrusted certificate: a first wait of 60 s, at most 600 s.
    @discardableResult
    static func block(_ fixture: DeliveryQueueTests.Fixture, probe: Bool) async throws -> ServerBlock {
        try await ServerBlockRepository(client: fixture.client, logger: Self.logger).block(
            tenantID: fixture.tenantID,
            serverID: fixture.serverID,
            serverName: "relay",
            cause: .certificateUntrusted,
            detail: "self-signed",
            probe: probe,
            initialWait: .seconds(60),
            maximumWait: .seconds(600)
        )
    }

    @Test("a blocked server's mail waits; once the wait is over exactly one claim probes it; unblocking frees the rest")
    func oneProbe() async throws {
        try await DeliveryQueueTests().withFixture { fixture in
            let ids = try await fixture.enqueue(3)
            let blocks = ServerBlockRepository(client: fixture.client, logger: Self.logger)
            try await Self.block(fixture, probe: false)
            let second = DeliveryQueue(client: fixture.client, logger: Self.logger)
            #expect(try await fixture.queue.claim(owner: "a", token: UUID(), limit: 10, lease: .seconds(30)).isEmpty)
            // The wait is over (as if a minute had passed): the next claim may probe.
            try await fixture.client.query(
                "UPDATE server_blocks SET retry_at = now() - interval '1 second'",
                logger: Self.logger
            )
            try await fixture.client.query(
                "UPDATE server_throttles SET throttled_until = now() - interval '1 second'",
                logger: Self.logger
            )
            let probe = try await fixture.queue.claim(owner: "a", token: UUID(), limit: 10, lease: .seconds(30))
            #expect(probe.count == 1)
            #expect(probe.first?.probesBlockedServer == true)
            #expect(try await second.claim(owner: "b", token: UUID(), limit: 10, lease: .seconds(30)).isEmpty)

            // An attempt under way when the block began fails too: it neither counts nor moves the probe.
            let inFlight = try await Self.block(fixture, probe: false)
            #expect(inFlight.failures == 1)

            // Blocked again (the probe failed): the wait doubles and the counter rises.
            let again = try await Self.block(fixture, probe: true)
            #expect(again.failures == 2)
            #expect(again.retryAt.timeIntervalSinceNow > 90, "the wait doubles: 120 s after one failed probe")

            #expect(
                try await blocks.unblock(
                    tenantID: fixture.tenantID,
                    serverID: fixture.serverID,
                    serverName: "relay",
                    why: "test"
                )
            )
            let rest = try await second.claim(owner: "b", token: UUID(), limit: 10, lease: .seconds(30))
            #expect(Set(rest.map(\.id)).isSubset(of: Set(ids)))
            #expect(rest.count == 2)
            #expect(try await blocks.find(serverID: fixture.serverID) == nil)
            var kinds: [String] = []
            for try await kind in try await fixture.client.query(
                "SELECT kind FROM events WHERE kind LIKE 'server_delivery_%' ORDER BY id",
                logger: Self.logger
            ).decode(String.self) {
                kinds.append(kind)
            }
            #expect(kinds == ["server_delivery_blocked", "server_delivery_resumed"], "one event per episode")
        }
    }

    @Test(
        "what operators see on a server: a pause, then the block with its cause, then nothing once lifted; blocks count while mail waits"
    )
    func deliveryStates() async throws {
        try await DeliveryQueueTests().withFixture { fixture in
            let blocks = ServerBlockRepository(client: fixture.client, logger: Self.logger)
            let waiting = try await fixture.enqueue(1)
            let other = UUID()
            #expect(try await blocks.deliveryStates(serverIDs: [fixture.serverID, other]).isEmpty)

            try await fixture.queue.throttle(
                tenantID: fixture.tenantID,
                serverID: fixture.serverID,
                serverName: "relay",
                for: .seconds(60),
                reason: "throttled: 432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
            )
            let paused = try #require(
                try await blocks.deliveryStates(serverIDs: [fixture.serverID, other])[fixture.serverID]
            )
            #expect(paused.block == nil)
            #expect(paused.pauseReason.hasPrefix("throttled: 432 4.3.2"))
            #expect((50...70).contains(paused.pausedUntil?.timeIntervalSinceNow ?? 0))
            #expect(try await blocks.blockedCount() == 0)

            try await Self.block(fixture, probe: false)
            let states = try await blocks.deliveryStates(serverIDs: [fixture.serverID, other])
            #expect(states.count == 1)
            let blocked = try #require(states[fixture.serverID])
            #expect(blocked.block?.reason == "CERTIFICATE_UNTRUSTED")
            #expect(blocked.block?.detail == "self-signed")
            #expect(blocked.block?.remedy == KnownCause.certificateUntrusted.remedy)
            #expect(blocked.pausedUntil == nil, "the block's own wait is not shown as a pause")
            #expect(try await blocks.blockedCount() == 1)
            // Its last message cancelled: the block stays (the next message probes the server) but
            // no mail waits for a fix, so it no longer counts.
            try await fixture.client.query(
                "UPDATE messages SET state = 'cancelled', finished_at = now() WHERE id = \(waiting[0])",
                logger: Self.logger
            )
            #expect(try await blocks.blockedCount() == 0)
            #expect(try await blocks.deliveryStates(serverIDs: [fixture.serverID])[fixture.serverID]?.block != nil)

            _ = try await blocks.unblock(
                tenantID: fixture.tenantID,
                serverID: fixture.serverID,
                serverName: "relay",
                why: "test"
            )
            #expect(try await blocks.deliveryStates(serverIDs: [fixture.serverID]).isEmpty)
        }
    }

    @Test("a disabled tenant's mail is held: not claimed until the tenant is enabled")
    func disabledTenantHeld() async throws {
        try await DeliveryQueueTests().withFixture { fixture in
            _ = try await fixture.enqueue(2)
            let tenants = TenantRepository(client: fixture.client, logger: Self.logger)
            _ = try await tenants.update(
                id: fixture.tenantID,
                displayName: nil,
                status: .disabled,
                alertContacts: nil,
                actor: "test"
            )
            #expect(try await fixture.queue.claim(owner: "a", token: UUID(), limit: 10, lease: .seconds(30)).isEmpty)
            _ = try await tenants.update(
                id: fixture.tenantID,
                displayName: nil,
                status: .active,
                alertContacts: nil,
                actor: "test"
            )
            #expect(try await fixture.queue.claim(owner: "a", token: UUID(), limit: 10, lease: .seconds(30)).count == 2)
        }
    }

    @Test("a message stored by a commit whose answer was lost is answered as stored when retried, not as an error")
    func lostCommit() async throws {
        try await DeliveryQueueTests().withFixture { fixture in
            let message = NewMessage(
                tenantID: fixture.tenantID,
                serverID: fixture.serverID,
                idempotencyKey: nil,
                contentDigest: [1],
                rfc822MessageID: "<lost@example.com>",
                subject: "lost",
                envelopeFrom: "sender@example.com",
                recipients: ["a@example.org"],
                body: Array("Subject: lost\r\n\r\nbody\r\n".utf8),
                requiresSMTPUTF8: false,
                tags: [:],
                notBefore: nil
            )
            guard case .queued(let first) = try await fixture.messages.enqueue(message, idempotencyWindow: .seconds(60))
            else {
                Issue.record("not queued")
                return
            }
            // The same row again, as the retry after a lost COMMIT sends it.
            guard
                case .queued(let replay) = try await fixture.messages.enqueue(message, idempotencyWindow: .seconds(60))
            else {
                Issue.record("the retry was not answered as stored")
                return
            }
            #expect(replay.id == first.id)
            #expect(replay.createdAt == first.createdAt)
            var rows = 0
            for try await count in try await fixture.client.query(
                "SELECT count(*)::int FROM messages WHERE id = \(message.id)",
                logger: Self.logger
            ).decode(Int.self) {
                rows = count
            }
            #expect(rows == 1)
        }
    }
}
