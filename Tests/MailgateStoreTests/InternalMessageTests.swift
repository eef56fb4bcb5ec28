import Foundation
import MailgateStore
import PostgresNIO
import Testing

extension DeliveryQueueTests {
    @Test("an internal message that fails raises an event of no tenant; a tenant's own failure stays the tenant's")
    func internalFailureEvent() async throws {
        try await self.withFixture { fixture in
            let ids = try await fixture.enqueue(2)
            _ = try await fixture.client.query(
                "UPDATE messages SET internal = true WHERE id = \(ids[0])",
                logger: Self.logger
            )
            let token = UUID()
            let claimed = try await fixture.queue.claim(owner: "a", token: token, limit: 2, lease: .seconds(60))
            #expect(Set(claimed.map(\.id)) == Set(ids))
            let results = ids.map { id in
                AttemptResult(
                    messageID: id,
                    decision: .failed(reason: "550 no such user"),
                    startedAt: Date(),
                    durationMilliseconds: 1,
                    outcome: "permanent_failure",
                    stage: "rcpt",
                    replyCode: 550,
                    reply: "550 no such user"
                )
            }
            #expect(Set(try await fixture.queue.complete(owner: "a", token: token, results: results)) == Set(ids))
            var tenants: [String: UUID?] = [:]
            let rows = try await fixture.client.query(
                "SELECT details->>'message_id', tenant_id FROM events WHERE kind = 'message_failed'",
                logger: Self.logger
            )
            for try await (messageID, tenantID) in rows.decode((String, UUID?).self) { tenants[messageID] = tenantID }
            #expect(tenants[ids[0].uuidString.lowercased()] == .some(nil), "the internal message's event has no tenant")
            #expect(tenants[ids[1].uuidString.lowercased()] == .some(fixture.tenantID))
        }
    }
}
