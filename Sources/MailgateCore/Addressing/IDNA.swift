import CIDN2
import Foundation

/// Domain names to their ASCII form by UTS #46 non-transitional processing (IDNA2008 with
/// the Unicode mappings browsers use), done by libidn2: fullwidth forms and capitals are
/// mapped, `ß` and `ς` kept, ideographic full stops separate labels, and what IDNA2008
/// forbids (U+0640 TATWEEL, symbols, unassigned code points) is refused.
///
/// On top of libidn2 it applies UTS #46's STD3 rules itself, refusing a name whose
/// compatibility decomposition holds ASCII other than letters, digits, `-` and `.` (`a_b`,
/// `⑷`, `≮`): libidn2 2.3's own STD3 flag silently drops such characters (`a_b` became
/// `ab`), which would send mail to another domain. A-labels given as such (`xn--…`) are
/// decoded and held to the same rules, and must encode back to themselves.
enum IDNA {
    /// The ASCII form of `name`, lowercase, labels joined by `.` (a trailing root dot kept);
    /// nil when UTS #46 refuses it. Label length and hyphen rules are the caller's.
    static func asciiName(_ name: String) -> String? {
        if let plain = Self.plainASCII(name) { return plain }
        guard !name.isEmpty, !name.unicodeScalars.contains("\0"), Self.meetsSTD3Rules(name) else { return nil }
        guard let ascii = Self.toASCII(name) else { return nil }
        for label in ascii.split(separator: ".") where label.hasPrefix("xn--") {
            guard let unicode = Self.toUnicode(String(label)), Self.meetsSTD3Rules(unicode),
                Self.toASCII(unicode) == String(label)
            else { return nil }
        }
        return ascii
    }

    /// Nearly every name: letters, digits, hyphens and dots, with no label that UTS #46 would
    /// look at twice (`xn--…`, or `--` as third and fourth characters). Processing leaves such a
    /// name as it is but for case, so it is lowercased without Unicode machinery.
    private static func plainASCII(_ name: String) -> String? {
        var bytes = Array(name.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case 0x41...0x5A: bytes[index] += 32
            case 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."): break
            default: return nil
            }
        }
        let hasReservedHyphens = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .contains { label in
                label.count >= 4 && label[label.startIndex + 2] == UInt8(ascii: "-")
                    && label[label.startIndex + 3] == UInt8(ascii: "-")
            }
        return hasReservedHyphens ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// UTS #46's `UseSTD3ASCIIRules`: no ASCII but letters, digits, `-` and `.` once the name
    /// is decomposed by compatibility (so `＿` and `⒜` are caught with `_` and `(`).
    private static func meetsSTD3Rules(_ name: String) -> Bool {
        name.decomposedStringWithCompatibilityMapping.unicodeScalars.allSatisfy { scalar in
            !scalar.isASCII || ("a"..."z").contains(scalar)
                || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "."
        }
    }

    private static func toASCII(_ name: String) -> String? {
        var output: UnsafeMutablePointer<CChar>?
        let flags = Int32(IDN2_NONTRANSITIONAL.rawValue | IDN2_NFC_INPUT.rawValue)
        let status = idn2_to_ascii_8z(name, &output, flags)
        defer { idn2_free(output) }
        guard status == Int32(IDN2_OK.rawValue), let output else { return nil }
        return String(cString: output).lowercased()
    }

    private static func toUnicode(_ label: String) -> String? {
        var output: UnsafeMutablePointer<CChar>?
        let status = idn2_to_unicode_8z8z(label, &output, 0)
        defer { idn2_free(output) }
        guard status == Int32(IDN2_OK.rawValue), let output else { return nil }
        return String(cString: output)
    }
}
