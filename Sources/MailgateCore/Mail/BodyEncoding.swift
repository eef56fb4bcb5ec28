import Foundation

/// Content transfer encodings: 7bit when already safe, quoted-printable for text,
/// base64 for binary; every line ends in CRLF and stays within 998 octets.
enum BodyEncoding {
    /// Text with bare LF or CR turned into CRLF.
    static func normalizedLines(_ text: String) -> [String] {
        // On UTF-8 bytes: a String sees "\r\n" as one Character, and Foundation's
        // replacing is far slower than one pass.
        let bytes = Array(text.utf8)
        var lines: [String] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                lines.append(String(decoding: bytes[start..<index], as: UTF8.self))
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        lines.append(String(decoding: bytes[start...], as: UTF8.self))
        return lines
    }

    /// The body with CRLF line ends when every line is printable ASCII of at most 998
    /// octets; nil otherwise. One pass over the bytes: most mail takes this path.
    static func sevenBit(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var valid = true
            // At most two output bytes per input byte (LF becomes CRLF), plus a final CRLF.
            let body = String(unsafeUninitializedCapacity: bytes.count * 2 + 2) { output in
                var count = 0
                var lineLength = 0
                var previousWasCR = false
                var endsWithBreak = false
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "\n"):
                        if !previousWasCR {
                            output[count] = 13
                            output[count + 1] = 10
                            count += 2
                        }
                        previousWasCR = false
                        lineLength = 0
                        endsWithBreak = true
                    case UInt8(ascii: "\r"):
                        output[count] = 13
                        output[count + 1] = 10
                        count += 2
                        previousWasCR = true
                        lineLength = 0
                        endsWithBreak = true
                    case 0x20..<0x7F, UInt8(ascii: "\t"):
                        output[count] = byte
                        count += 1
                        previousWasCR = false
                        endsWithBreak = false
                        lineLength += 1
                        if lineLength > 998 {
                            valid = false
                            return 0
                        }
                    default:
                        valid = false
                        return 0
                    }
                }
                if !endsWithBreak {
                    output[count] = 13
                    output[count + 1] = 10
                    count += 2
                }
                return count
            }
            return valid ? body : nil
        }
    }

    /// The transfer encoding and encoded body of a text part.
    static func text(_ text: String) -> (encoding: String, body: String) {
        if let body = self.sevenBit(text) { return ("7bit", body) }
        var lines = self.normalizedLines(text)
        // A final line break is the CRLF every line gets, not an extra empty line.
        if lines.count > 1, lines.last == "" { lines.removeLast() }
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
                case 0x20, 0x09: token = isLast ? "=" + Hex.byte(byte, uppercase: true) : String(UnicodeScalar(byte))
                default: token = "=" + Hex.byte(byte, uppercase: true)
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
        Data(bytes).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
            + (bytes.isEmpty ? "" : "\r\n")
    }
}
