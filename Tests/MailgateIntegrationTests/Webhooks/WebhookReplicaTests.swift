import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

/// Two `mailgate serve` processes on one database, both posting webhooks.
@Suite("Webhooks with two replicas")
struct WebhookReplicaTests {
    @Test("two replicas post every delivery once: each event arrives once, under its own delivery id, validly signed")
    func eachDeliveryOnce() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable.path),
            "swift build first"
        )
        let receiver = try WebhookTestReceiver()
        try await TestDatabase.withFresh { database in
            let operatorKey = APIKey.generate().presentedForm.exposedValue
            let settings = [
                "MAILGATE_LOG_LEVEL": "warning", "MAILGATE_WORKERS": "0", "MAILGATE_POLL_INTERVAL_MS": "50",
                "MAILGATE_WEBHOOK_WORKERS": "3", "MAILGATE_WEBHOOK_RETRY_INITIAL_SECONDS": "1",
            ]
            try await ServeEnvironment.withReplicas(2, database: database, operatorKey: operatorKey, settings) {
                ports in
                let clients = ports.map { MailgateClient(configuration: .init(port: $0, apiKey: operatorKey)) }
                for client in clients { _ = try await eventually(limit: .seconds(30)) { try? await client.whoAmI() } }
                try await clients[0].makeTenant("acme")
                let subscription = try await clients[1].putWebhook(
                    "servers",
                    tenant: "acme",
                    url: receiver.url(),
                    kinds: ["server_created"]
                )
                let count = 24
                for index in 0..<count {
                    _ = try await clients[index % 2].putServer(
                        AdminFixture.basicServerRequest("relay-\(index)", tenant: "acme")
                    )
                }
                let received = try await receiver.waitForRequests(count, timeout: .seconds(60))
                #expect(received.count == count)
                let deliveryIDs = received.compactMap { $0.headers["mailgate-delivery-id"] }
                #expect(Set(deliveryIDs).count == count, "no delivery posted twice")
                #expect(received.allSatisfy { $0.json["kind"] as? String == "server_created" })
                #expect(received.allSatisfy { $0.hasValidSignature(secret: subscription.secret) })
                let events = Set(received.compactMap { $0.json["id"] as? String })
                #expect(events.count == count, "each event once")
                // Nothing more comes: no late duplicate from a lease that ran out.
                try await Task.sleep(for: .seconds(1))
                #expect(try receiver.requests().count == count)
                for client in clients { await client.close() }
            }
        }
    }
}
