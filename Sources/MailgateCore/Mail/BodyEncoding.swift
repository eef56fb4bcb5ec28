import Foundation

/// Content transfer encodings: 7bit when already safe, quoted-printable for text,
/// base64 for binary; every line ends in CRLF and stays within 998 octets.
enum BodyEncoding {
    /// Text with bare LF or CR turned into CRLF.
    static func normalizedLines(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The transfer encoding and encoded body of a text part.
    static func text(_ text: String) -> (encoding: String, body: String) {
        var lines = self.normalizedLines(text)
        // A final line break is the CRLF every line gets, not an extra empty line.
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        let sevenBit = lines.allSatisfy { line in
            line.utf8.count <= 998 && line.unicodeScalars.allSatisfy { $0.isASCII && ($0.value >= 0x20 || $0 == "\t") && $0.value != 0x7F }
        }
        if sevenBit { return ("7bit", lines.joined(separator: "\r\n") + "\r\n") }
        return ("quoted-printable", self.quotedPrintable(lines))
    }

    /// RFC 2045 quoted-printable of UTF-8 text lines, soft-wrapped at 76 characters.
    static func quotedPrintable(_ lines: [String]) -> String {
        var output = ""
        for line in lines {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                var token: String
                switch byte {
                case 0x21...0x3C, 0x3E...0x7E: token = String(UnicodeScalar(byte))
                case 0x20, 0x09: token = isLast ? String(format: "=%02X", byte) : String(UnicodeScalar(byte))
                default: token = String(format: "=%02X", byte)
                }
                // A line starting with "." is fine for MIME; SMTP dot-stuffing happens on the wire.
                if current.count + token.count > 75 {
                    output += current + "=\r\n"
                    current = ""
                }
                current += token
            }
            output += current + "\r\n"
        }
        return output
    }

    /// Base64 in lines of 76 characters.
    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            + (bytes.isEmpty ? "" : "\r\n")
    }
}
