import Foundation
import MailgateCore
import MailgateMail
import MailgateStore

/// Posts one claimed webhook delivery: the event as JSON, signed with the subscription's
/// secret, through libcurl with the destination guard applied at connect time and no
/// redirects followed. Reports what happened as an attempt to log; never the secret.
struct WebhookPoster: Sendable {
    let http: HTTPTransport
    let timeout: Duration
    let caFile: String?

    /// Response bodies are read up to this size; the log keeps `excerptLength` characters of them.
    static let maximumResponseBytes = 64 * 1024
    static let excerptLength = 200

    /// What one post came to.
    struct Result: Sendable {
        /// The HTTP status; nil when no response came.
        var status: Int?
        var retryAfter: String?
        var attempt: WebhookAttemptRecord
    }

    /// Posts `delivery` at `now`.
    func post(_ delivery: ClaimedWebhookDelivery, now: Date = Date()) async -> Result {
        let started = ContinuousClock.now
        func finish(status: Int?, retryAfter: String? = nil, excerpt: String = "", error: String) -> Result {
            let elapsed = ContinuousClock.now - started
            return Result(
                status: status,
                retryAfter: retryAfter,
                attempt: WebhookAttemptRecord(
                    attempt: delivery.attempt,
                    startedAt: now,
                    durationMilliseconds: Int(elapsed.milliseconds),
                    status: status ?? 0,
                    responseExcerpt: excerpt,
                    error: error
                )
            )
        }
        guard let secret = delivery.secret else {
            return finish(
                status: nil,
                error: "the signing secret cannot be opened: its master key is not in the ring"
            )
        }
        let body = delivery.payload.encoded()
        let timestamp = Int64(now.timeIntervalSince1970)
        var request = HTTPRequest(
            method: .post,
            url: delivery.url,
            headers: [
                "Content-Type: application/json",
                "\(WebhookSignature.headerName): \(WebhookSignature.header(secret: secret, timestamp: timestamp, body: body))",
                "Mailgate-Event-Id: \(delivery.payload.id)",
                "Mailgate-Delivery-Id: \(delivery.id.uuidString.lowercased())",
                // libcurl would otherwise wait for a 100 Continue on bodies over 1 KiB.
                "Expect:",
            ],
            body: body,
            caFile: self.caFile,
            timeout: self.timeout,
            maximumResponseBytes: Self.maximumResponseBytes
        )
        // The status decides; a receiver's long page after its 2xx is read and dropped, not a failure.
        request.keepsStatusOfLongResponses = true
        switch await self.http.perform(request) {
        case .success(let response):
            let excerpt = String(String(decoding: response.body.prefix(1024), as: UTF8.self).prefix(Self.excerptLength))
            let ok = (200..<300).contains(response.status)
            return finish(
                status: response.status,
                retryAfter: response.headers["retry-after"],
                excerpt: LogRedaction.scrub(excerpt),
                error: ok ? "" : "HTTP \(response.status)"
            )
        case .failure(let failure):
            return finish(status: nil, error: failure.detail)
        }
    }
}
