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
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
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
        // The civil date from days since 1970 (Howard Hinnant's algorithm): Calendar is
        // far slower, and the header is always UTC.
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (index 4 from Sunday).
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[weekday]), \(day) \(months[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) +0000"
    }

    /// A MIME parameter `name="value"`, or RFC 2231 `name*=UTF-8''percent-encoded` for non-ASCII.
    static func parameter(_ name: String, _ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "\"" && $0 != "\\" }) {
            return "\(name)=\"\(value)\""
        }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        let encoded = value.utf8.map {
            allowed.contains($0) ? String(UnicodeScalar($0)) : "%" + Hex.byte($0, uppercase: true)
        }.joined()
        return "\(name)*=UTF-8''\(encoded)"
    }
}
