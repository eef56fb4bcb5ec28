import Foundation

/// An IP address as 16 bytes: IPv4 addresses are held in their IPv4-mapped IPv6 form
/// (`::ffff:a.b.c.d`), so `10.0.0.1` and `::ffff:10.0.0.1` are the same address and one
/// rule covers both.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Network byte order.
    public let bytes: [UInt8]

    /// The bytes of an IPv4 address (4) or an IPv6 address (16).
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.bytes = Self.mappedPrefix + bytes
        case 16: self.bytes = bytes
        default: return nil
        }
    }

    /// Dotted IPv4 or textual IPv6, with or without brackets; nil for anything else.
    public init?(_ text: String) {
        var address = Substring(text)
        if address.hasPrefix("[") && address.hasSuffix("]") { address = address.dropFirst().dropLast() }
        if !address.contains(":") {
            // inet_pton accepts only the four-part decimal form; names never parse.
            var ipv4 = in_addr()
            guard inet_pton(AF_INET, String(address), &ipv4) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: ipv4) { Array($0) })
        } else {
            var ipv6 = in6_addr()
            guard inet_pton(AF_INET6, String(address), &ipv6) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: ipv6) { Array($0) })
        }
    }

    static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]

    /// The IPv4 address this is, directly or in its IPv4-mapped form.
    public var ipv4: [UInt8]? {
        Array(self.bytes.prefix(12)) == Self.mappedPrefix ? Array(self.bytes.suffix(4)) : nil
    }

    public var description: String {
        if let ipv4 = self.ipv4 { return ipv4.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var ipv6 = in6_addr()
        withUnsafeMutableBytes(of: &ipv6) { $0.copyBytes(from: self.bytes) }
        guard inet_ntop(AF_INET6, &ipv6, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
