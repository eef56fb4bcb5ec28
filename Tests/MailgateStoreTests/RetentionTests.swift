import Foundation
import MailgateStore
import PostgresNIO
import Testing

extension DeliveryQueueTests {
    @Test(
        "retention deletes finished messages (with their attempts), events and silent replicas past their time, and nothing else"
    )
    func retention() async throws {
        try await self.withFixture { fixture in
            let ids = try await fixture.enqueue(5)
            let (oldSent, oldFailed, recentSent, oldQueued, oldCancelled) = (ids[0], ids[1], ids[2], ids[3], ids[4])
            func sql(_ query: PostgresQuery) async throws {
                _ = try await fixture.client.query(query, logger: Self.logger)
            }
            for (id, state, age) in [
                (oldSent, "sent", 40), (oldFailed, "failed", 31), (recentSent, "sent", 10),
                (oldCancelled, "cancelled", 45),
            ] {
                try await sql(
                    """
                    UPDATE messages SET state = \(state), finished_at = now() - make_interval(days => \(age)::int),
                        created_at = now() - make_interval(days => \(age + 1)::int)
                    WHERE id = \(id)
                    """
                )
            }
            // Queued for 40 days (a long not_before): unfinished mail is never deleted.
            try await sql("UPDATE messages SET created_at = now() - interval '40 days' WHERE id = \(oldQueued)")
            try await sql(
                """
                INSERT INTO message_attempts (message_id, number, started_at, duration_ms, outcome, reply)
                VALUES (\(oldSent), 1, now() - interval '40 days', 12, 'delivered', '250 ok')
                """
            )
            try await sql(
                """
                INSERT INTO events (tenant_id, kind, severity, message, created_at) VALUES
                    (\(fixture.tenantID), 'old', 2, 'from long ago', now() - interval '100 days'),
                    (\(fixture.tenantID), 'recent', 2, 'from yesterday', now() - interval '1 day')
                """
            )
            try await sql(
                """
                INSERT INTO workers (id, hostname, version, heartbeat_at) VALUES
                    ('gone', 'h', 'v', now() - interval '2 days'), ('alive', 'h', 'v', now())
                """
            )

            let retention = RetentionRepository(client: fixture.client, logger: Self.logger)
            // Kept forever when told so: nothing goes, though everything above is old enough.
            let none = try await retention.deleteExpired(messages: nil, events: nil)
            #expect(none.messages == 0 && none.events == 0)
            #expect(none.workers == 1, "replicas silent for a day go whatever the retention")
            #expect(
                try await fixture.client.query("SELECT 1 FROM messages WHERE id = \(oldSent)", logger: Self.logger)
                    .collect().count == 1
            )
            // One row per batch: the batches go on until one is not full.
            let deleted = try await retention.deleteExpired(
                messages: .seconds(30 * 86400),
                events: .seconds(90 * 86400),
                batch: 1
            )
            #expect(deleted.messages == 3)
            #expect(deleted.events == 1)

            func column<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type) async throws -> [T] {
                var values: [T] = []
                for try await value in try await fixture.client.query(query, logger: Self.logger).decode(T.self) {
                    values.append(value)
                }
                return values
            }
            #expect(Set(try await column("SELECT id FROM messages", as: UUID.self)) == [recentSent, oldQueued])
            #expect(try await column("SELECT count(*) FROM message_attempts", as: Int.self) == [0])
            #expect(
                try await column("SELECT kind FROM events WHERE kind IN ('old', 'recent')", as: String.self) == [
                    "recent"
                ]
            )
            #expect(try await column("SELECT id FROM workers", as: String.self) == ["alive"])

        }
    }
}
