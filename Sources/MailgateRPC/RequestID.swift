import Logging

/// The id that ties a call's log lines together: the caller's `x-request-id` metadata
/// when it is a plausible id (1–128 characters of letters, digits, `-`, `_`, `.`, `:`),
/// otherwise 16 random hex digits.
enum RequestID {
    static func of(_ metadata: [String: String]) -> String {
        if let given = metadata["x-request-id"], (1...128).contains(given.utf8.count), given.utf8.allSatisfy(isIDByte) {
            return given
        }
        return String(UInt64.random(in: .min ... .max) | (1 << 63), radix: 16)
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }
}

/// A principal that can name itself in log lines (tenant slug, key id), never with a secret.
public protocol LogDescribable {
    var logMetadata: Logger.Metadata { get }
}

extension Logger {
    /// Adds every entry of `metadata` to this logger.
    mutating func merge(_ metadata: Logger.Metadata) {
        for (key, value) in metadata { self[metadataKey: key] = value }
    }
}

extension Duration {
    /// Milliseconds with three decimals, for `duration_ms` log fields.
    var loggedMilliseconds: String {
        let (seconds, attoseconds) = self.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
