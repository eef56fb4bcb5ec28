import Foundation
import MailgateCore
import MailgateMail
@testable import MailgateService
@testable import MailgateStore
import Testing

@Suite("Webhook poster: the destination guard at connect time")
struct WebhookPosterTests {
    static func delivery(url: String) -> ClaimedWebhookDelivery {
        ClaimedWebhookDelivery(
            id: UUID(),
            subscriptionID: UUID(),
            tenantID: UUID(),
            url: url,
            secret: WebhookSecret.generate(),
            payload: WebhookPayload(
                eventID: 1,
                kind: EventKind.webhookTest,
                severity: .info,
                tenantID: UUID(),
                tenantSlug: "acme",
                serverID: nil,
                serverName: nil,
                createdAt: Date(),
                message: "test",
                details: [:]
            ),
            attempt: 1,
            createdAt: Date()
        )
    }

    @Test(
        "a post to a loopback address is refused when connecting unless the policy allows it, and says why without the address"
    )
    func guarded() async throws {
        let guarded = HTTPTransport(threadCount: 1, destinations: .publicOnly)
        let open = HTTPTransport(threadCount: 1, destinations: .loopbackAllowed)
        // Port 1 on loopback: nothing listens, so an allowed connection is refused by the kernel.
        let url = "http://127.0.0.1:1/hook"
        let refused = await WebhookPoster(http: guarded, timeout: .seconds(5), caFile: nil)
            .post(Self.delivery(url: url))
        #expect(refused.status == nil)
        #expect(refused.attempt.error.contains("loopback address"), "\(refused.attempt.error)")
        #expect(!refused.attempt.error.contains("127.0.0.1"))
        let attempted = await WebhookPoster(http: open, timeout: .seconds(5), caFile: nil).post(Self.delivery(url: url))
        #expect(attempted.status == nil)
        #expect(!attempted.attempt.error.contains("loopback address"), "\(attempted.attempt.error)")
        try await guarded.shutdown()
        try await open.shutdown()
    }

    @Test("without an openable secret nothing is posted, and the attempt says why")
    func unreadableSecret() async throws {
        let http = HTTPTransport(threadCount: 1, destinations: .loopbackAllowed)
        var delivery = Self.delivery(url: "http://127.0.0.1:1/hook")
        delivery.secret = nil
        let result = await WebhookPoster(http: http, timeout: .seconds(5), caFile: nil).post(delivery)
        #expect(result.status == nil && result.attempt.error.contains("master key"))
        try await http.shutdown()
    }
}
