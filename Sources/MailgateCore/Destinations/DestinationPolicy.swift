import Foundation

/// Where Mailgate may connect on a tenant's behalf (SMTP servers, token endpoints, Graph):
/// public addresses only, unless the operator allows some non-public networks. A tenant
/// who could point an output server at `169.254.169.254` or `127.0.0.1` could otherwise
/// reach the cloud metadata service or the replica's own ports from inside the network.
public struct DestinationPolicy: Sendable, Hashable {
    /// Non-public networks the operator allows (`MAILGATE_ALLOWED_PRIVATE_NETWORKS`).
    public var allowedNetworks: [NetworkRange]

    public init(allowedNetworks: [NetworkRange] = []) {
        self.allowedNetworks = allowedNetworks
    }

    /// Public addresses only.
    public static let publicOnly = DestinationPolicy()

    /// Public addresses and this machine's loopback (`--dev`, tests).
    public static let loopbackAllowed = DestinationPolicy(allowedNetworks: DestinationRefusal.loopbackNetworks)

    /// Why connecting to `address` is refused; nil when it may be used.
    public func refusal(of address: IPAddress) -> DestinationRefusal? {
        if self.allowedNetworks.contains(where: { $0.contains(address) }) { return nil }
        guard let kind = DestinationRefusal.Kind(of: address) else { return nil }
        // Addresses that carry an IPv4 address (NAT64, 6to4) are judged by it as well.
        if kind == .embedsIPv4, let embedded = DestinationRefusal.embeddedIPv4(in: address) {
            return self.refusal(of: embedded).map { DestinationRefusal(address: address, kind: $0.kind) }
        }
        return DestinationRefusal(address: address, kind: kind)
    }

    /// Why `host` is refused before anything resolves it: an address literal outside the
    /// policy, or a name that always means this machine (`localhost`, RFC 6761). Other names
    /// are checked when they resolve, at connect time.
    public func refusal(ofHost host: String) -> DestinationRefusal? {
        if let address = IPAddress(host) { return self.refusal(of: address) }
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        guard name == "localhost" || name.hasSuffix(".localhost") else { return nil }
        return self.refusal(of: IPAddress("127.0.0.1")!)
    }
}

/// A destination Mailgate will not connect to, and why.
public struct DestinationRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case loopback, privateNetwork = "private", linkLocal = "link-local", sharedAddressSpace = "carrier-grade NAT"
        case multicast, reserved, unspecified
        /// NAT64 and 6to4: the IPv4 address inside decides.
        case embedsIPv4 = "embedded IPv4"

        init?(of address: IPAddress) {
            guard let kind = DestinationRefusal.specialRanges.first(where: { $0.range.contains(address) })?.kind else {
                return nil
            }
            self = kind
        }
    }

    public let address: IPAddress
    public let kind: Kind

    public init(address: IPAddress, kind: Kind) {
        self.address = address
        self.kind = kind
    }

    /// "a loopback address …", without the address itself: tenants see it, and it must not
    /// map the inside of the network for them.
    public var description: String {
        let what =
            switch self.kind {
            case .loopback: "a loopback address"
            case .privateNetwork: "a private network address"
            case .linkLocal: "a link-local address (where cloud metadata services answer)"
            case .sharedAddressSpace: "a carrier-grade NAT shared address"
            case .multicast: "a multicast address"
            case .reserved, .embedsIPv4: "a reserved address"
            case .unspecified: "the unspecified address"
            }
        return "the address is \(what); Mailgate connects only to public addresses unless "
            + "MAILGATE_ALLOWED_PRIVATE_NETWORKS allows it"
    }

    static let loopbackNetworks = [NetworkRange("127.0.0.0/8")!, NetworkRange("::1")!]

    /// IANA's special-purpose registries (RFC 6890 and successors), most specific first.
    static let specialRanges: [(range: NetworkRange, kind: Kind)] =
        ([
            ("0.0.0.0/32", .unspecified), ("0.0.0.0/8", .reserved),
            ("10.0.0.0/8", .privateNetwork), ("100.64.0.0/10", .sharedAddressSpace),
            ("127.0.0.0/8", .loopback), ("169.254.0.0/16", .linkLocal),
            ("172.16.0.0/12", .privateNetwork), ("192.0.0.0/24", .reserved), ("192.0.2.0/24", .reserved),
            ("192.88.99.0/24", .reserved), ("192.168.0.0/16", .privateNetwork), ("198.18.0.0/15", .reserved),
            ("198.51.100.0/24", .reserved), ("203.0.113.0/24", .reserved), ("224.0.0.0/4", .multicast),
            ("240.0.0.0/4", .reserved),
            ("::/128", .unspecified), ("::1/128", .loopback),
            ("64:ff9b::/96", .embedsIPv4), ("64:ff9b:1::/48", .privateNetwork), ("2002::/16", .embedsIPv4),
            // IPv4-compatible (deprecated) and the other special blocks of the v6 space.
            ("::/96", .reserved), ("::ffff:0:0:0/96", .reserved), ("100::/64", .reserved),
            ("2001::/23", .reserved), ("2001:db8::/32", .reserved), ("3fff::/20", .reserved),
            ("fc00::/7", .privateNetwork), ("fe80::/10", .linkLocal), ("fec0::/10", .privateNetwork),
            ("ff00::/8", .multicast),
        ] as [(String, Kind)]).map { (NetworkRange($0.0)!, $0.1) }

    /// The IPv4 address inside a NAT64 (last four bytes) or 6to4 (bytes 2–5) address.
    static func embeddedIPv4(in address: IPAddress) -> IPAddress? {
        let bytes = address.bytes
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }
}
