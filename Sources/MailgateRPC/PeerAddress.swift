import NIOCore

/// Where a connection comes from: for logs, and for limits kept per client address.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address with its port, as logs show it.
    public var description: String
    /// What per-address limits count by: an IPv4 address (also when mapped into IPv6), or the
    /// /64 network of an IPv6 address (one host is usually given a whole /64, and could change
    /// its address within it at will); `unknown` when the socket has no IP address.
    public var limitKey: String

    public init(description: String, limitKey: String) {
        self.description = description
        self.limitKey = limitKey
    }

    /// The peer of a connection with `address` as its remote address.
    public init(_ address: SocketAddress?) {
        self.description = address.map { "\($0)" } ?? "unknown"
        self.limitKey = address.map(Self.limitKey(of:)) ?? "unknown"
    }

    private static func limitKey(of address: SocketAddress) -> String {
        switch address {
        case .v4:
            return address.ipAddress ?? "unknown"
        case .v6(let v6):
            // The 16 address bytes of the sockaddr_in6, 8 bytes in on Linux and Darwin alike
            // (after family, port and flow info).
            let bytes = withUnsafeBytes(of: v6.address) { Array($0[8..<24]) }
            let isIPv4Mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            if isIPv4Mapped { return bytes[12...].map(String.init).joined(separator: ".") }
            let groups = stride(from: 0, to: 8, by: 2).map {
                String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
            }
            return groups.joined(separator: ":") + "::/64"
        case .unixDomainSocket:
            return "unknown"
        }
    }
}
