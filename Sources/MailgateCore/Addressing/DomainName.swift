/// A DNS host name in its ASCII form: labels of letters, digits and hyphens (1–63
/// characters, no leading or trailing hyphen), 253 characters at most. Unicode (IDN)
/// names are accepted and converted by UTS #46 processing (see `IDNA`); a trailing root
/// dot is dropped.
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    /// The ASCII (A-label) form, lowercase.
    public let ascii: String

    public init?(_ text: String) {
        guard var name = IDNA.asciiName(text) else { return nil }
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.allSatisfy(Self.isValidLabel) else { return nil }
        let ascii = name
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
