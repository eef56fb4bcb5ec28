import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import SwiftProtobuf
import Testing

@Suite("Webhook deliveries to a real HTTP receiver")
struct WebhookDeliveryTests {
    /// The SMTP fixture wants "right"; the server is put with "wrong", so validation fails at auth.
    static let smtp = ["--user", "billing", "--password", "right"]

    @Test(
        "a failed validation is posted as signed JSON; the receiver verifies the signature, and the secret is in no log or body"
    )
    func signedDelivery() async throws {
        let receiver = try WebhookTestReceiver()
        let capture = LogCapture()
        defer { capture.finish() }
        try await MailFixture.run(
            smtpArguments: Self.smtp,
            tlsMode: "starttls",
            logger: capture.logger(label: "mailgate", level: .debug),
            webhooks: .fastForTests
        ) { fixture in
            let (created, failed) = try await fixture.subscribeAndFailValidation(url: receiver.url("/ops"))
            #expect(created.created)
            #expect(created.secret.hasPrefix("whsec_") && created.secret.count == 70)
            #expect(!failed.ok, "\(failed.outline)")

            let requests = try await receiver.waitForRequests(1)
            let request = try #require(requests.first)
            #expect(requests.count == 1)
            #expect(request.path == "/ops")
            #expect(request.hasValidSignature(secret: created.secret), "\(request.headers)")
            #expect(!request.hasValidSignature(secret: created.secret + "0"))
            #expect(request.headers["content-type"] == "application/json")
            let event = try #require(try await fixture.events(kind: "server_validation_failed").first)
            #expect(request.headers["mailgate-event-id"] == event.id)
            let body = request.json
            #expect(body["id"] as? String == event.id)
            #expect(body["kind"] as? String == "server_validation_failed")
            #expect(body["severity"] as? String == "error")
            #expect((body["tenant"] as? [String: Any])?["slug"] as? String == "acme")
            #expect((body["tenant"] as? [String: Any])?["id"] as? String == fixture.tenantID)
            #expect((body["server"] as? [String: Any])?["name"] as? String == "relay")
            #expect((body["details"] as? [String: String])?["check"] == "auth")
            #expect(body["message"] as? String == event.message)
            #expect(body["time"] is String)
            let text = String(decoding: request.body, as: UTF8.self)
            #expect(!text.contains(created.secret) && !text.contains("wrong"), "no secret in the body")

            let deliveries = try await eventually {
                let found = try await fixture.client.webhookDeliveries("ops", tenant: "")
                return found.first?.state == .delivered ? found : nil
            }
            let delivery = try #require(deliveries.first)
            #expect(request.headers["mailgate-delivery-id"] == delivery.id)
            #expect(delivery.attempts == 1 && delivery.eventID == event.id)
            #expect(delivery.attemptLog.map(\.status) == [204])

            var list = Mailgate_V1_ListWebhookSubscriptionsRequest()
            list.tenant = "acme"
            let listed = try await fixture.admin.operatorClient.listWebhookSubscriptions(list)
            #expect(listed.subscriptions.map(\.name) == ["ops"])
            #expect(!(try listed.jsonString()).contains(created.secret) && !"\(listed)".contains("whsec_"))
        }
        #expect(capture.text.contains("webhook delivered"))
        #expect(!capture.text.contains("whsec_"), "the signing secret reached the logs")
    }

    @Test(
        "a delivery the receiver refuses with 500 is retried, and arrives again under the same delivery id, validly signed"
    )
    func retriedAfterRefusal() async throws {
        let receiver = try WebhookTestReceiver()
        try receiver.refuse(1, status: 500)
        try await MailFixture.run(smtpArguments: Self.smtp, tlsMode: "starttls", webhooks: .fastForTests) { fixture in
            let (created, _) = try await fixture.subscribeAndFailValidation(url: receiver.url())

            let requests = try await receiver.waitForRequests(2)
            #expect(requests.map(\.answered) == [500, 204])
            #expect(requests.allSatisfy { $0.hasValidSignature(secret: created.secret) })
            #expect(requests[0].headers["mailgate-delivery-id"] == requests[1].headers["mailgate-delivery-id"])
            #expect(requests[0].body == requests[1].body, "a retry posts the same event")

            let delivery = try #require(
                try await eventually { () -> Mailgate_V1_WebhookDelivery? in
                    let found = try await fixture.client.webhookDeliveries("ops", tenant: "")
                    return found.first?.state == .delivered ? found.first : nil
                }
            )
            #expect(delivery.attempts == 2)
            #expect(delivery.attemptLog.map(\.status) == [204, 500], "newest first")
            #expect(delivery.attemptLog.last?.responseExcerpt == "refused by the test receiver")
            #expect(delivery.attemptLog.last?.error == "HTTP 500")
            #expect(delivery.lastError.isEmpty)
        }
    }

    @Test("kinds and minimum severity pick the subscriptions an event is queued for; a disabled one gets none")
    func filters() async throws {
        let receiver = try WebhookTestReceiver()
        try await MailFixture.run(smtpArguments: Self.smtp, tlsMode: "starttls", webhooks: .fastForTests) { fixture in
            let admin = fixture.admin.operatorClient
            try await admin.putWebhook("errors", tenant: "acme", url: receiver.url("/errors"), minSeverity: .error)
            try await admin.putWebhook(
                "critical",
                tenant: "acme",
                url: receiver.url("/critical"),
                minSeverity: .critical
            )
            try await admin.putWebhook(
                "updates",
                tenant: "acme",
                url: receiver.url("/updates"),
                kinds: ["server_updated"]
            )
            try await admin.putWebhook("off", tenant: "acme", url: receiver.url("/off"), disabled: true)

            // server_updated (info), then server_validation_failed (error).
            try await fixture.putAuth(.basic, username: "billing", password: "wrong")
            _ = try await fixture.client.validate("relay")

            func kinds(_ name: String) async throws -> [String] {
                try await fixture.client.webhookDeliveries(name, tenant: "").map(\.eventKind)
            }
            // Queued with the event, in its transaction: no waiting needed.
            #expect(try await kinds("errors") == ["server_validation_failed"])
            #expect(try await kinds("critical") == [])
            #expect(try await kinds("updates") == ["server_updated"])
            #expect(try await kinds("off") == [])

            let requests = try await receiver.waitForRequests(2)
            #expect(Set(requests.map(\.path)) == ["/errors", "/updates"])
            #expect(requests.first { $0.path == "/errors" }?.json["kind"] as? String == "server_validation_failed")
            #expect(requests.first { $0.path == "/updates" }?.json["kind"] as? String == "server_updated")
        }
    }
}
