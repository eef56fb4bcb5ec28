import Foundation

/// Where an output server is: a DNS name (IDN accepted), an IPv4 address, or an IPv6
/// address (with or without brackets).
public enum HostName: Sendable, Hashable, CustomStringConvertible {
    case domain(DomainName)
    case ipv4(String)
    case ipv6(String)

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed == text, !text.isEmpty else { return nil }
        if Self.isIPv4(text) {
            self = .ipv4(text)
        } else if let address = Self.ipv6(text) {
            self = .ipv6(address)
        } else if let domain = DomainName(text) {
            self = .domain(domain)
        } else {
            return nil
        }
    }

    /// The form to connect to and store.
    public var description: String {
        switch self {
        case .domain(let name): name.ascii
        case .ipv4(let address): address
        case .ipv6(let address): address
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                (1...3).contains(part.count) && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                    && Int(part)! <= 255 && !(part.count > 1 && part.hasPrefix("0"))
            }
    }

    static func ipv6(_ text: String) -> String? {
        var address = Substring(text)
        if address.hasPrefix("[") && address.hasSuffix("]") { address = address.dropFirst().dropLast() }
        guard address.contains(":"), address.count <= 45 else { return nil }
        let pieces = address.components(separatedBy: "::")
        guard pieces.count <= 2 else { return nil }
        var groupCount = 0
        for (pieceIndex, piece) in pieces.enumerated() where !piece.isEmpty {
            let groups = piece.split(separator: ":", omittingEmptySubsequences: false)
            for (index, group) in groups.enumerated() {
                let isLast = pieceIndex == pieces.count - 1 && index == groups.count - 1
                if isLast, group.contains(".") {
                    guard isIPv4(String(group)) else { return nil }
                    groupCount += 2
                    continue
                }
                guard (1...4).contains(group.count), group.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                    return nil
                }
                groupCount += 1
            }
        }
        guard pieces.count == 2 ? groupCount < 8 : groupCount == 8 else { return nil }
        return String(address).lowercased()
    }
}
