import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import Testing

@Suite("Webhook test events")
struct WebhookTestEventTests {
    @Test("SendWebhookTestEvent reaches the one subscription named, whatever its filters, signed; operators only")
    func testEvent() async throws {
        let receiver = try WebhookTestReceiver()
        try await AdminFixture.run(webhooks: .fastForTests) { fixture in
            try await fixture.createTenant("acme")
            let admin = fixture.operatorClient
            let narrow = try await admin.putWebhook(
                "narrow",
                tenant: "acme",
                url: receiver.url("/narrow"),
                kinds: ["server_validation_failed"],
                minSeverity: .critical
            )
            try await admin.putWebhook("everything", tenant: "acme", url: receiver.url("/everything"))
            try await admin.putWebhook("off", tenant: "acme", url: receiver.url("/off"), disabled: true)

            var request = Mailgate_V1_SendWebhookTestEventRequest()
            request.tenant = "acme"
            request.subscription = "narrow"
            let sent = try await admin.sendWebhookTestEvent(request)
            let arrived = try await eventually(limit: .seconds(20)) { () -> WebhookTestReceiver.Request? in
                try receiver.requests().first { $0.path == "/narrow" }
            }
            #expect(arrived.json["kind"] as? String == "webhook_test")
            #expect(arrived.headers["mailgate-delivery-id"] == sent.deliveryID)
            #expect(arrived.headers["mailgate-event-id"] == sent.eventID)
            #expect(arrived.hasValidSignature(secret: narrow.secret))
            // "everything" hears of its own creation and of "off"'s, not of the test.
            var deliveries = Mailgate_V1_ListWebhookDeliveriesRequest()
            deliveries.tenant = "acme"
            deliveries.subscription = "everything"
            let everything = try await admin.listWebhookDeliveries(deliveries).deliveries.map(\.eventKind)
            #expect(everything == ["webhook_subscription_created", "webhook_subscription_created"])

            request.subscription = "off"
            let disabled = await expectRPCError { _ = try await admin.sendWebhookTestEvent(request) }
            #expect(disabled?.code == .failedPrecondition)
            let tenantClient = fixture.client(apiKey: try await fixture.createTenantKey("acme"))
            request.subscription = "narrow"
            let refused = await expectRPCError { _ = try await tenantClient.sendWebhookTestEvent(request) }
            #expect(refused?.code == .permissionDenied)
            await tenantClient.close()
        }
    }
}
