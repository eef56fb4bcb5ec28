import Foundation

/// The rules a webhook subscription must follow before it is stored. The URL follows the
/// rules of token URLs: https, or http to a loopback host, and its host within the
/// destinations the operator allows, so a tenant cannot make Mailgate post to the
/// metadata service or a replica's own ports.
public enum WebhookRules {
    /// At most this many kinds per subscription.
    public static let maximumKinds = 64
    /// URLs longer than this are refused.
    public static let maximumURLLength = 2048

    /// Every violation of `definition` (empty when it may be stored), with proto field names.
    public static func violations(
        of definition: WebhookSubscriptionDefinition,
        destinations: DestinationPolicy
    ) -> [Violation] {
        var violations: [Violation] = []
        let name = definition.name
        if name.trimmingCharacters(in: .whitespaces).isEmpty {
            violations.append(Violation("name", "is required"))
        } else if name.unicodeScalars.count > 100 || name.containsControlCharacter {
            violations.append(Violation("name", "must be 1 to 100 characters without control characters"))
        } else if UUID(uuidString: name) != nil {
            violations.append(Violation("name", "must not be a UUID (subscriptions are found by id or name)"))
        }
        if definition.url.count > Self.maximumURLLength || definition.url.containsControlCharacter {
            violations.append(Violation("url", "must be at most \(Self.maximumURLLength) characters, on one line"))
        } else if let problem = Self.urlProblem(definition.url, destinations: destinations) {
            violations.append(Violation("url", problem))
        }
        if definition.kinds.count > Self.maximumKinds {
            violations.append(Violation("kinds", "at most \(Self.maximumKinds) kinds"))
        }
        for (index, kind) in definition.kinds.enumerated() where !Self.isKindName(kind) {
            violations.append(Violation("kinds[\(index)]", "must be an event kind such as server_validation_failed"))
        }
        return violations
    }

    /// Why `text` cannot be a webhook URL: not a URL, user info in it (the secret is the
    /// signature, not a password in the URL), a refused destination, or neither https nor
    /// http to a loopback host.
    static func urlProblem(_ text: String, destinations: DestinationPolicy) -> String? {
        if text.isEmpty { return "is required" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return "is not a URL"
        }
        if components.user != nil || components.password != nil { return "must not carry a user name or password" }
        if components.fragment != nil { return "must not have a fragment" }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let refusal = destinations.refusal(ofHost: bareHost) { return refusal.description }
        let loopback =
            ["localhost"].contains(bareHost.lowercased())
            || IPAddress(bareHost).map { DestinationRefusal.Kind(of: $0) == .loopback } == true
        if scheme == "https" || (scheme == "http" && loopback) { return nil }
        return "must be an https URL (http only to a loopback host the operator allows)"
    }

    /// Lowercase letters, digits and underscores, as every `EventKind` is.
    static func isKindName(_ kind: String) -> Bool {
        !kind.isEmpty && kind.count <= 64
            && kind.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
