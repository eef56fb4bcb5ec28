import Foundation

/// A language the console is written in, as the seed page offered: English, Spanish, Portuguese.
enum Language: String, CaseIterable, Sendable {
    case english = "en"
    case spanish = "es"
    case portuguese = "pt"

    /// The language's own name, for the switch.
    var nativeName: String {
        switch self {
        case .english: "English"
        case .spanish: "Español"
        case .portuguese: "Português"
        }
    }

    /// Every string of the console in this language.
    var catalog: [String: String] {
        switch self {
        case .english: Catalog.english
        case .spanish: Catalog.spanish
        case .portuguese: Catalog.portuguese
        }
    }

    /// The string `key`, with `{name}` placeholders replaced; English when this language
    /// lacks it (a catalogue test makes sure none does).
    func text(_ key: String, _ values: [String: String] = [:]) -> String {
        var text = self.catalog[key] ?? Catalog.english[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    /// The best match for an `Accept-Language` header (RFC 9110 §12.5.4: tags with q-values),
    /// English when none matches.
    static func negotiate(acceptLanguage header: String?) -> Language {
        guard let header else { return .english }
        var best: (language: Language, quality: Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let primary = String(tag.split(separator: "-").first ?? "")
            guard quality > 0, let language = Language(rawValue: primary) else { continue }
            if best == nil || quality > best!.quality { best = (language, quality) }
        }
        return best?.language ?? .english
    }
}
