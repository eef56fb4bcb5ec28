import Crypto
import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateService
import MailgateTestSupport
import Testing

extension WebhookSettings {
    /// Two workers, retries after 300 ms, at most five attempts: fast enough for tests.
    static let fastForTests = WebhookSettings(
        workers: 2,
        retry: WebhookRetryPolicy(
            backoff: RetryPolicy(
                initialDelay: .milliseconds(300),
                maximumDelay: .seconds(1),
                giveUpAfter: .seconds(60),
                jitter: 0
            ),
            maximumAttempts: 5
        ),
        timeout: .seconds(5),
        pollInterval: .milliseconds(100)
    )
}

extension MailgateClient {
    /// Puts a subscription `name` to `url` in `tenant`; the answer carries its secret when new.
    @discardableResult
    func putWebhook(
        _ name: String,
        tenant: String,
        url: String,
        kinds: [String] = [],
        minSeverity: Mailgate_V1_Severity = .unspecified,
        disabled: Bool = false
    ) async throws -> Mailgate_V1_PutWebhookSubscriptionResponse {
        var request = Mailgate_V1_PutWebhookSubscriptionRequest()
        request.tenant = tenant
        request.name = name
        request.url = url
        request.kinds = kinds
        request.minSeverity = minSeverity
        request.disabled = disabled
        let response = try await self.putWebhookSubscription(request)
        if !response.secret.isEmpty { SecretScan.register(response.secret) }
        return response
    }

    /// The deliveries of subscription `name` in `tenant`, newest first.
    func webhookDeliveries(_ name: String, tenant: String) async throws -> [Mailgate_V1_WebhookDelivery] {
        var request = Mailgate_V1_ListWebhookDeliveriesRequest()
        request.tenant = tenant
        request.subscription = name
        return try await self.listWebhookDeliveries(request).deliveries
    }
}

extension MailFixture {
    /// What most webhook tests start from: subscription `ops` in acme to `server_validation_failed`
    /// events, posted to `url`, then one such event (the relay refuses the password a validation
    /// sends). Returns the subscription (its secret with it) and the failed validation.
    @discardableResult
    func subscribeAndFailValidation(
        url: String
    ) async throws -> (
        subscription: Mailgate_V1_PutWebhookSubscriptionResponse, validation: Mailgate_V1_ValidateServerResponse
    ) {
        let subscription = try await self.admin.operatorClient.putWebhook(
            "ops",
            tenant: "acme",
            url: url,
            kinds: ["server_validation_failed"]
        )
        try await self.putAuth(.basic, username: "billing", password: "wrong")
        return (subscription, try await self.client.validate("relay"))
    }

    /// The newest delivery of subscription `ops` once it is in one of `states` (30 s at most).
    func opsDelivery(in states: Set<Mailgate_V1_WebhookDeliveryState>) async throws -> Mailgate_V1_WebhookDelivery {
        try await eventually(limit: .seconds(30)) { () -> Mailgate_V1_WebhookDelivery? in
            let newest = try await self.client.webhookDeliveries("ops", tenant: "").first
            return newest.map { states.contains($0.state) } == true ? newest : nil
        }
    }
}

extension WebhookTestReceiver.Request {
    /// Whether `Mailgate-Signature` is HMAC-SHA256(secret, "<t>.<body>") in hex, recomputed
    /// here with swift-crypto as a receiver would, independently of Mailgate's own code.
    func hasValidSignature(secret: String) -> Bool {
        guard let header = self.headers["mailgate-signature"] else { return false }
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let timestamp = fields["t"], let signature = fields["v1"], Int64(timestamp) != nil else { return false }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(timestamp.utf8) + Data(".".utf8) + self.body,
            using: SymmetricKey(data: Data(secret.utf8))
        )
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        return expected == signature
    }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: self.body)) as? [String: Any] ?? [:]
    }
}
