import CIDN2
import Foundation

/// Domain names to their ASCII form by UTS #46 non-transitional processing (IDNA2008 with
/// the Unicode mappings browsers use), done by libidn2 label by label: fullwidth forms and
/// capitals are mapped, `ß` and `ς` kept, ideographic full stops separate labels, and what
/// IDNA2008 forbids (U+0640 TATWEEL, symbols, unassigned code points) is refused.
///
/// On top of libidn2 it applies UTS #46's STD3 rules itself, refusing a label whose
/// compatibility decomposition holds ASCII other than letters, digits and `-` (`a_b`, `⑷`,
/// `≮`): libidn2 2.3's own STD3 flag silently drops such characters (`a_b` became `ab`),
/// which would send mail to another domain. A-labels given as such (`xn--…`) are decoded and
/// held to the same rules, and must encode back to themselves. Labels of letters, digits and
/// hyphens stay as they are but for case, `--` in third and fourth place included (as with
/// UTS #46's CheckHyphens off, as browsers do): `r3---sn-abc.example` is a real host name.
enum IDNA {
    /// The ASCII form of `name`, lowercase, labels joined by `.` (empty labels, such as a
    /// trailing root dot's, kept for the caller to judge); nil when UTS #46 refuses a label.
    /// Label length and leading or trailing hyphens are the caller's to check.
    static func asciiName(_ name: String) -> String? {
        guard !name.isEmpty, !name.unicodeScalars.contains("\0") else { return nil }
        var labels: [String] = []
        for label in name.unicodeScalars.split(omittingEmptySubsequences: false, whereSeparator: Self.isLabelSeparator)
        {
            if label.isEmpty {
                labels.append("")
            } else if let ascii = Self.asciiLabel(String(String.UnicodeScalarView(label))) {
                labels.append(ascii)
            } else {
                return nil
            }
        }
        return labels.joined(separator: ".")
    }

    /// `.` and the full stops UTS #46 maps to it: ideographic, fullwidth, halfwidth ideographic.
    private static func isLabelSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "." || scalar == "\u{3002}" || scalar == "\u{FF0E}" || scalar == "\u{FF61}"
    }

    private static func asciiLabel(_ label: String) -> String? {
        if let plain = Self.plainASCII(label) { return plain }
        guard Self.meetsSTD3Rules(label), let ascii = Self.toASCII(label), !ascii.isEmpty, !ascii.contains(".")
        else { return nil }
        if ascii.hasPrefix("xn--") {
            guard let unicode = Self.toUnicode(ascii), Self.meetsSTD3Rules(unicode), Self.toASCII(unicode) == ascii
            else { return nil }
        }
        return ascii
    }

    /// Nearly every label: letters, digits and hyphens, not an A-label. Processing leaves it as
    /// it is but for case, so it is lowercased without Unicode machinery.
    private static func plainASCII(_ label: String) -> String? {
        var bytes = Array(label.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case 0x41...0x5A: bytes[index] += 32
            case 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"): break
            default: return nil
            }
        }
        return bytes.starts(with: "xn--".utf8) ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// UTS #46's `UseSTD3ASCIIRules`: no ASCII but letters, digits and `-` once the label is
    /// decomposed by compatibility (so `＿`, `⒜` and `⒈` are caught with `_`, `(` and `.`).
    private static func meetsSTD3Rules(_ name: String) -> Bool {
        name.decomposedStringWithCompatibilityMapping.unicodeScalars.allSatisfy { scalar in
            !scalar.isASCII || ("a"..."z").contains(scalar)
                || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
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
