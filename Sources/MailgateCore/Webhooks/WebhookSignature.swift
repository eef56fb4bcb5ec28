import Crypto
import Foundation

/// The `Mailgate-Signature` header of a webhook delivery, Stripe's scheme:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is
/// signed with the body, so a receiver that refuses old timestamps refuses replays.
public enum WebhookSignature {
    /// The header's name.
    public static let headerName = "Mailgate-Signature"

    /// The header value for `body` sent at `timestamp` (whole seconds since 1970).
    public static func header(secret: Secret, timestamp: Int64, body: [UInt8]) -> String {
        "t=\(timestamp),v1=\(self.digest(secret: secret, timestamp: timestamp, body: body))"
    }

    /// Lowercase hex of HMAC-SHA256 over "<timestamp>.<body>" keyed with the secret's UTF-8 bytes.
    public static func digest(secret: Secret, timestamp: Int64, body: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(secret.exposedValue.utf8))
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return Hex.string(Array(hmac.finalize()))
    }

    /// Whether `header` is a valid signature of `body` under `secret` (any `v1` entry of it),
    /// compared in constant time, made within `tolerance` of `now` (an old request replayed
    /// fails); what a receiver written in Swift would do.
    public static func verify(
        header: String,
        secret: Secret,
        body: [UInt8],
        now: Date = Date(),
        tolerance: TimeInterval = 300
    ) -> Bool {
        var timestamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) }
            if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Array(self.digest(secret: secret, timestamp: timestamp, body: body).utf8)
        return signatures.contains { constantTimeEquals(Array($0.utf8), expected) }
    }
}
