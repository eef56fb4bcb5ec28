import Crypto

/// An API key as presented by a caller: `mgk_<key id>_<secret>`.
///
/// The key id is public (it names the key in listings and audit events); only a
/// SHA-256 hash of the secret part is ever stored.
public struct APIKey: Sendable, Hashable, CustomStringConvertible {
    /// The prefix every Mailgate key starts with.
    public static let prefix = "mgk_"

    public let id: String
    public let secret: Secret

    /// Parses a presented key; nil when it is not of the form `mgk_<id>_<secret>`
    /// with an id of 1–64 and a secret of 16–256 characters from `[A-Za-z0-9-]`.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let rest = text.dropFirst(Self.prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<separator]
        let secret = rest[rest.index(after: separator)...]
        // Byte-wise: only ASCII is allowed, so bytes and characters coincide.
        guard (1...64).contains(id.utf8.count), (16...256).contains(secret.utf8.count),
            id.utf8.allSatisfy(Self.isKeyByte), secret.utf8.allSatisfy(Self.isKeyByte)
        else { return nil }
        self.id = String(id)
        self.secret = Secret(String(secret))
    }

    /// A new key with a random 48-bit id and 256 bits of secret (64 hex digits) from the system CSPRNG.
    public static func generate() -> APIKey {
        let id = randomToken(byteCount: 6)
        let secret = randomToken(byteCount: 32)
        return APIKey(parsing: "\(prefix)\(id)_\(secret)")!
    }

    /// The full key as the caller presents it. A secret: show it once, never log it.
    public var presentedForm: Secret { Secret("\(Self.prefix)\(self.id)_\(self.secret.exposedValue)") }

    /// The SHA-256 hash of the secret part: what is stored.
    public var secretHash: [UInt8] { Self.hash(secret: self.secret) }

    /// Whether this key's secret hashes to `storedHash`, compared in constant time.
    public func matches(storedHash: [UInt8]) -> Bool {
        constantTimeEquals(self.secretHash, storedHash)
    }

    public var description: String { "mgk_\(self.id)_<redacted>" }

    public static func hash(secret: Secret) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.exposedValue.utf8)))
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// Lowercase hex of `byteCount` bytes from the system CSPRNG.
    private static func randomToken(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<byteCount).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }.joined()
    }
}

/// Compares two byte arrays in time that depends only on their lengths.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        self.count >= length ? self : String(repeating: "0", count: length - self.count) + self
    }
}
