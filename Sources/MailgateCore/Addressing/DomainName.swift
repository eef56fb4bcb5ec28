/// A DNS host name in its ASCII form: labels of letters, digits and hyphens (1–63
/// characters, no leading or trailing hyphen), 253 characters at most. Unicode (IDN)
/// labels are accepted and converted with Punycode.
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    /// The ASCII (A-label) form, lowercase.
    public let ascii: String

    public init?(_ text: String) {
        var name = text
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        var labels: [String] = []
        for rawLabel in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard let label = Punycode.asciiLabel(String(rawLabel)), Self.isValidLabel(label) else { return nil }
            labels.append(label)
        }
        let ascii = labels.joined(separator: ".")
        guard ascii.utf8.count <= 253 else { return nil }
        // A name of digits and dots only would be a mistyped IPv4 address.
        guard !(labels.last!.allSatisfy(\.isNumber)) else { return nil }
        self.ascii = ascii
    }

    public var description: String { self.ascii }

    private static func isValidLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-")
        }
    }
}
