import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateService
import MailgateTestSupport
import SwiftProtobuf
import Testing

@Suite("Webhook retries against a real HTTP receiver")
struct WebhookRetryTests {
    @Test("a receiver that keeps refusing gets the maximum attempts, then the delivery fails with its last error")
    func givesUp() async throws {
        let receiver = try WebhookTestReceiver()
        try receiver.refuse(100, status: 500)
        let capture = LogCapture()
        defer { capture.finish() }
        try await MailFixture.run(
            smtpArguments: WebhookDeliveryTests.smtp,
            tlsMode: "starttls",
            logger: capture.logger(label: "mailgate", level: .debug),
            ops: OpsConfiguration(port: 0),
            webhooks: .fastForTests
        ) { fixture in
            try await fixture.subscribeAndFailValidation(url: receiver.url())
            let delivery = try await fixture.opsDelivery(in: [.failed])
            #expect(delivery.attempts == 5)
            #expect(delivery.lastError == "HTTP 500")
            #expect(delivery.attemptLog.map(\.attempt) == [5, 4, 3, 2, 1])
            #expect(try receiver.requests().count == 5)
            let metrics = try await MetricsTests.scrape(fixture.admin)
            let attempts = "mailgate_webhook_attempts_total"
            #expect(MetricsTests.value(metrics, #"\#(attempts){outcome="retry",status_class="5xx"}"#) == 4)
            #expect(MetricsTests.value(metrics, #"\#(attempts){outcome="failed",status_class="5xx"}"#) == 1)
            // Exported at 0 from the start, so that an alert on their increase sees a first failure.
            #expect(MetricsTests.value(metrics, #"\#(attempts){outcome="failed",status_class="none"}"#) == 0)
        }
        #expect(capture.text.contains("webhook delivery failed for good"))
    }

    @Test("a 200 with a body far larger than what is kept is delivered once, not retried as a failure")
    func largeAnswer() async throws {
        let receiver = try WebhookTestReceiver()
        try receiver.refuse(0, answerBytes: 1 << 20)
        try await MailFixture.run(
            smtpArguments: WebhookDeliveryTests.smtp,
            tlsMode: "starttls",
            webhooks: .fastForTests
        ) { fixture in
            try await fixture.subscribeAndFailValidation(url: receiver.url())
            let delivery = try await fixture.opsDelivery(in: [.delivered, .failed])
            #expect(delivery.state == .delivered)
            #expect(delivery.attemptLog.map(\.status) == [200])
            try await Task.sleep(for: .seconds(1))
            #expect(try receiver.requests().count == 1, "posted once")
        }
    }

    @Test("Retry-After on a 429 is waited for instead of the shorter backoff")
    func retryAfter() async throws {
        let receiver = try WebhookTestReceiver()
        try receiver.refuse(1, status: 429, retryAfter: "2")
        // Retry-After is honoured up to the backoff's cap: a cap above the 2 s asked for.
        var settings = WebhookSettings.fastForTests
        settings.retry.backoff.maximumDelay = .seconds(5)
        try await MailFixture.run(
            smtpArguments: WebhookDeliveryTests.smtp,
            tlsMode: "starttls",
            webhooks: settings
        ) { fixture in
            try await fixture.subscribeAndFailValidation(url: receiver.url())
            let delivery = try await fixture.opsDelivery(in: [.delivered])
            #expect(delivery.attemptLog.map(\.status) == [204, 429])
            let log = delivery.attemptLog
            let waited = log[0].startedAt.date.timeIntervalSince(log[1].startedAt.date)
            #expect(waited >= 1.9, "waited \(waited) s; the backoff alone is 0.3 s")
        }
    }
}
