import Foundation

/// The rules tenant fields follow.
public enum TenantRules {
    public static let maximumAlertContacts = 20

    /// Violations of a slug: lowercase `[a-z0-9-]`, 3–63 characters, not a UUID (so "id or slug" is never ambiguous).
    public static func slugViolations(_ slug: String, field: String = "slug") -> [Violation] {
        let allowed = slug.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard allowed, (3...63).contains(slug.utf8.count) else {
            return [Violation(field, "must be 3-63 characters of lowercase letters, digits and hyphens")]
        }
        if UUID(uuidString: slug) != nil { return [Violation(field, "must not be a UUID")] }
        return []
    }

    public static func displayNameViolations(_ name: String, field: String = "display_name") -> [Violation] {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return [Violation(field, "is required")] }
        if name.count > 200 { return [Violation(field, "must be at most 200 characters")] }
        if name.containsControlCharacter { return [Violation(field, "must not contain control characters")] }
        return []
    }

    /// Violations of alert contacts; each must be an email address.
    public static func alertContactViolations(_ contacts: [String], field: String = "alert_contacts") -> [Violation] {
        var violations: [Violation] = []
        if contacts.count > self.maximumAlertContacts {
            violations.append(Violation(field, "at most \(self.maximumAlertContacts) contacts"))
        }
        for (index, contact) in contacts.enumerated() where EmailAddress(contact) == nil {
            violations.append(Violation("\(field)[\(index)]", "is not an email address"))
        }
        return violations
    }

    /// Contacts in their normalized form (IDN domains in ASCII), duplicates removed.
    public static func normalizedContacts(_ contacts: [String]) -> [String] {
        var seen = Set<String>()
        return contacts.compactMap { EmailAddress($0)?.description }.filter { seen.insert($0.lowercased()).inserted }
    }
}
