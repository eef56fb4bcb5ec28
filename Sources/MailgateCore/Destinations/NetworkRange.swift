import Foundation

/// A block of addresses in CIDR notation: `10.0.0.0/8`, `fd00::/8`, or one address.
public struct NetworkRange: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    /// Leading bits that must match, counted over the 16-byte form (an IPv4 `/8` is 104).
    public let prefixLength: Int
    private let isIPv4: Bool

    /// `address/length`, or a bare address for that address alone; nil when malformed, when
    /// the address has bits set beyond the length (`10.0.0.1/8`: did it mean one host or the
    /// network?), or for an IPv4-mapped address with a length that reaches outside IPv4
    /// (`::ffff:10.0.0.0/8` would be `::/8`, every IPv4 address and `::1`).
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
        let isIPv4 = !parts[0].contains(":")
        let width = isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...width).contains(given), parts[1].allSatisfy(\.isNumber) else {
                return nil
            }
            length = given
        }
        if !isIPv4, address.ipv4 != nil, length < 96 { return nil }
        self.init(address: address, prefixLength: isIPv4 ? 96 + length : length, isIPv4: isIPv4)
        guard self.hostBitsAreZero else { return nil }
    }

    /// Whether every bit of the address past the prefix is zero.
    private var hostBitsAreZero: Bool {
        (0..<16).allSatisfy { index in
            let covered = min(8, max(0, self.prefixLength - index * 8))
            let mask = covered == 8 ? UInt8(0xff) : UInt8(truncatingIfNeeded: 0xff << (8 - covered))
            return self.address.bytes[index] & ~mask == 0
        }
    }

    private init(address: IPAddress, prefixLength: Int, isIPv4: Bool) {
        self.address = address
        self.prefixLength = prefixLength
        self.isIPv4 = isIPv4
    }

    /// Whether `candidate` is in this block.
    public func contains(_ candidate: IPAddress) -> Bool {
        var remaining = self.prefixLength
        for index in 0..<16 where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if self.address.bytes[index] & mask != candidate.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        "\(self.address)/\(self.isIPv4 ? self.prefixLength - 96 : self.prefixLength)"
    }

    /// A comma-separated list (`MAILGATE_ALLOWED_PRIVATE_NETWORKS`); the entries that do not
    /// parse are returned apart, so a configuration error can name them.
    public static func parseList(_ text: String) -> (ranges: [NetworkRange], invalid: [String]) {
        var ranges: [NetworkRange] = []
        var invalid: [String] = []
        for entry in text.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if let range = NetworkRange(trimmed) { ranges.append(range) } else { invalid.append(trimmed) }
        }
        return (ranges, invalid)
    }
}
