/// An RFC 5321/5322 addr-spec `local@domain`: a dot-atom or quoted local part (64
/// octets at most), a domain name (IDN converted to its ASCII form) or an address
/// literal, 254 octets in all. No display name, comments or whitespace.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    /// The domain in ASCII form, or an address literal such as `[192.0.2.1]`.
    public let domain: String

    public init?(_ text: String) {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let local = String(text[..<at])
        let domainText = String(text[text.index(after: at)...])
        guard Self.isValidLocalPart(local) else { return nil }
        if domainText.hasPrefix("[") && domainText.hasSuffix("]") {
            let literal = String(domainText.dropFirst().dropLast())
            if HostName.isIPv4(literal) {
                self.domain = domainText
            } else if literal.lowercased().hasPrefix("ipv6:"), HostName.ipv6(String(literal.dropFirst(5))) != nil {
                self.domain = domainText.lowercased()
            } else {
                return nil
            }
        } else {
            guard let domain = DomainName(domainText), domain.ascii.contains(".") || domain.ascii == "localhost" else {
                return nil
            }
            self.domain = domain.ascii
        }
        self.localPart = local
        guard self.description.utf8.count <= 254 else { return nil }
    }

    public var description: String { "\(self.localPart)@\(self.domain)" }

    /// Whether the local part is non-ASCII, so sending needs the server's SMTPUTF8.
    public var requiresSMTPUTF8: Bool { !self.localPart.unicodeScalars.allSatisfy(\.isASCII) }

    /// RFC 5322 atext (plus UTF-8 per RFC 6531, without the characters below).
    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if !scalar.isASCII { return scalar.value >= 0xA0 && !Self.isInvisibleOrSeparator(scalar) }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
    }

    /// Characters that would change how an address reads or where a line ends without
    /// showing: bidirectional and other format controls (U+202E turns `moc.elpmaxe` around),
    /// line and paragraph separators (U+2028, U+2029), and spaces of every kind.
    private static func isInvisibleOrSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .control, .unassigned, .surrogate,
            .privateUse:
            true
        default: false
        }
    }

    /// RFC 5321 allows more in a quoted local part than a mail system should pass on: spaces,
    /// `<` and `>` (which would end the path in `RCPT TO:<…>`) and the invisible characters
    /// above are refused there too.
    private static func isValidLocalPart(_ local: String) -> Bool {
        guard !local.isEmpty, local.utf8.count <= 64 else { return false }
        if local.count >= 2, local.hasPrefix("\""), local.hasSuffix("\"") {
            var escaped = false
            for scalar in local.unicodeScalars.dropFirst().dropLast() {
                if scalar == " " || scalar == "<" || scalar == ">" || Self.isInvisibleOrSeparator(scalar) {
                    return false
                }
                if escaped {
                    guard scalar.value >= 0x20 && scalar.value != 0x7F else { return false }
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" || scalar.value < 0x20 || scalar.value == 0x7F {
                    return false
                }
            }
            return !escaped
        }
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy(Self.isAtext)
        }
    }
}
