/// What an SMTP server announced in its EHLO reply (RFC 5321 §4.1.1.1).
public struct SMTPCapabilities: Sendable, Hashable {
    /// Keywords in upper case with their parameters, in the server's order ("SIZE" → ["35882577"]).
    public private(set) var keywords: [(keyword: String, parameters: [String])] = []

    /// Parses the reply lines ("250-mx Hello", "250-AUTH LOGIN PLAIN", "250 SMTPUTF8"); the first line is the greeting.
    public init(ehloReply lines: [String]) {
        for line in lines.dropFirst() where line.count > 4 {
            let words = line.dropFirst(4).split(separator: " ").map(String.init)
            guard let keyword = words.first else { continue }
            // Old servers announce "AUTH=LOGIN" too; it says the same as "AUTH LOGIN".
            if keyword.uppercased().hasPrefix("AUTH=") {
                self.keywords.append(("AUTH", [String(keyword.dropFirst(5))] + words.dropFirst()))
            } else {
                self.keywords.append((keyword.uppercased(), Array(words.dropFirst())))
            }
        }
    }

    public static func == (lhs: SMTPCapabilities, rhs: SMTPCapabilities) -> Bool {
        lhs.keywords.map { [$0.keyword] + $0.parameters } == rhs.keywords.map { [$0.keyword] + $0.parameters }
    }

    public func hash(into hasher: inout Hasher) {
        for (keyword, parameters) in self.keywords { hasher.combine([keyword] + parameters) }
    }

    public func offers(_ keyword: String) -> Bool { self.keywords.contains { $0.keyword == keyword } }

    /// The SASL mechanisms after AUTH, upper case.
    public var authMechanisms: [String] {
        var mechanisms: [String] = []
        for (keyword, parameters) in self.keywords where keyword == "AUTH" {
            for mechanism in parameters.map({ $0.uppercased() }) where !mechanisms.contains(mechanism) {
                mechanisms.append(mechanism)
            }
        }
        return mechanisms
    }

    /// The SIZE limit in bytes; nil when not announced, 0 when announced without a number.
    public var sizeLimit: Int? {
        guard let entry = self.keywords.first(where: { $0.keyword == "SIZE" }) else { return nil }
        return entry.parameters.first.flatMap { Int($0) } ?? 0
    }

    /// "AUTH PLAIN LOGIN; SIZE 35882577 (34 MiB); PIPELINING; SMTPUTF8; 8BITMIME; STARTTLS".
    public var summary: String {
        var parts: [String] = []
        let mechanisms = self.authMechanisms
        parts.append(mechanisms.isEmpty ? "no AUTH" : "AUTH \(mechanisms.joined(separator: " "))")
        if let size = self.sizeLimit {
            parts.append(size == 0 ? "SIZE (no limit given)" : "SIZE \(size) (\(size / (1024 * 1024)) MiB)")
        }
        for keyword in ["PIPELINING", "SMTPUTF8", "8BITMIME", "CHUNKING", "STARTTLS"] where self.offers(keyword) {
            parts.append(keyword)
        }
        return parts.joined(separator: "; ")
    }
}
