import Foundation
import MailgateCore
import Testing

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    static let body = Array(#"{"id":"1"}"#.utf8)

    @Test("the header is t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">, as Python's hmac computes it")
    func knownVector() {
        let header = WebhookSignature.header(secret: Secret("whsec_test"), timestamp: 1_700_000_000, body: Self.body)
        #expect(header == "t=1700000000,v1=11bf4466ea17c3df3fd743af0b435368e16b7a05eb8eced85e8c4670767bdec5")
    }

    @Test("verification accepts the header it made and refuses another secret, body or timestamp, or an old one")
    func verification() {
        let secret = WebhookSecret.generate()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let header = WebhookSignature.header(secret: secret, timestamp: 1_700_000_000, body: Self.body)
        #expect(WebhookSignature.verify(header: header, secret: secret, body: Self.body, now: now))
        #expect(!WebhookSignature.verify(header: header, secret: WebhookSecret.generate(), body: Self.body, now: now))
        #expect(!WebhookSignature.verify(header: header, secret: secret, body: Self.body + [0x20], now: now))
        #expect(
            !WebhookSignature.verify(
                header: header.replacingOccurrences(of: "t=1700000000", with: "t=1700000001"),
                secret: secret,
                body: Self.body,
                now: now
            )
        )
        #expect(!WebhookSignature.verify(header: "v1=abc", secret: secret, body: Self.body, now: now))
        // A replay: the same request ten minutes later.
        #expect(!WebhookSignature.verify(header: header, secret: secret, body: Self.body, now: now + 600))
        #expect(WebhookSignature.verify(header: header, secret: secret, body: Self.body, now: now + 299))
    }

    @Test("secrets are whsec_ and 64 hex digits, different each time, and never printed")
    func secrets() {
        let one = WebhookSecret.generate()
        let two = WebhookSecret.generate()
        #expect(one.exposedValue.count == 70 && one.exposedValue.hasPrefix("whsec_"))
        #expect(one != two)
        #expect("\(one)" == "<redacted>")
        #expect(LogRedaction.scrub("secret \(one.exposedValue) here") == "secret whsec_<redacted> here")
    }
}
