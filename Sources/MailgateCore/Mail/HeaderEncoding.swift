import Foundation

/// RFC 5322 header rendering: phrases, RFC 2047 encoded words, and folding.
enum HeaderEncoding {
    /// The longest line a header is folded to (RFC 5322 recommends 78).
    static let lineLimit = 78

    /// A display name as an atom sequence, a quoted string, or encoded words.
    static func phrase(_ text: String) -> String {
        if !text.unicodeScalars.allSatisfy(\.isASCII) { return self.encodedWords(text) }
        let atext = text.unicodeScalars.allSatisfy { scalar in
            scalar == " " || (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
                || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
        }
        if atext && !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  ") { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Unstructured text (Subject): as is when ASCII, otherwise encoded words.
    static func unstructured(_ text: String) -> String {
        // A word too long to fold within 78 columns is encoded too: encoded words split anywhere.
        let foldable = !text.split(separator: " ").contains { $0.count > 70 }
        return text.unicodeScalars.allSatisfy(\.isASCII) && foldable ? text : self.encodedWords(text)
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters each, split on character
    /// boundaries (never inside a UTF-8 sequence), separated by spaces for folding.
    static func encodedWords(_ text: String) -> String {
        let maximumBytes = 45  // 45 bytes → 60 base64 characters; with "=?UTF-8?B?" and "?=" 72 ≤ 75.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: " ")
    }

    /// `Name: value` folded at whitespace so that lines stay within 78 characters where
    /// possible (and always within 998), each line ending in CRLF.
    static func field(_ name: String, _ value: String) -> String {
        var lines: [String] = []
        var line = name + ":"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if line.count + 1 + word.count > self.lineLimit, line.count > name.count + 1 {
                lines.append(line)
                line = " " + word
            } else {
                line += " " + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// An RFC 5322 date: `Mon, 23 Nov 2026 13:40:37 +0000`.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[(parts.weekday ?? 1) - 1]), \(parts.day ?? 1) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    /// A MIME parameter `name="value"`, or RFC 2231 `name*=UTF-8''percent-encoded` for non-ASCII.
    static func parameter(_ name: String, _ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "\"" && $0 != "\\" }) {
            return "\(name)=\"\(value)\""
        }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let encoded = value.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return "\(name)*=UTF-8''\(encoded)"
    }
}
