/// One invalid input field: the proto field path (`oauth.client_id`) and what is wrong.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var description: String

    public init(_ field: String, _ description: String) {
        self.field = field
        self.description = description
    }
}

/// Input that breaks one or more rules; nothing was changed.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var summary: String
    public var violations: [Violation]

    public init(_ summary: String, violations: [Violation]) {
        self.summary = summary
        self.violations = violations
    }

    public var description: String {
        ([self.summary] + self.violations.map { "\($0.field): \($0.description)" }).joined(separator: "; ")
    }
}

extension String {
    /// Whether the text holds a control character (CR, LF, NUL, …), which no header or name may carry.
    public var containsControlCharacter: Bool {
        self.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Whether the text holds CR, LF or NUL: what would break a header line or an SMTP command.
    public var containsLineBreakOrNUL: Bool {
        self.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" }
    }
}
