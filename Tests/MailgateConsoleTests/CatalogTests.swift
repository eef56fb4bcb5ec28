import Foundation
import Testing

@testable import MailgateConsole

@Suite("Console strings")
struct CatalogTests {
    @Test("Spanish and Portuguese have every English string, with the same placeholders, and nothing else")
    func languagesAreComplete() {
        for language in Language.allCases {
            let catalog = language.catalog
            #expect(Set(catalog.keys) == Set(Catalog.english.keys), "\(language)")
            for (key, english) in Catalog.english {
                let translated = catalog[key] ?? ""
                #expect(!translated.isEmpty, "\(language): \(key) is empty")
                #expect(Self.placeholders(translated) == Self.placeholders(english), "\(language): \(key)")
            }
        }
    }

    @Test("every {{t.key}} in the templates is a string of the catalogue")
    func templatesUseKnownStrings() throws {
        let pattern = try Regex(#"\{\{t\.([a-z0-9_]+)\}\}"#)
        var used: Set<String> = []
        for (name, template) in Templates.all {
            for match in template.matches(of: pattern) {
                let key = String(match.output[1].substring ?? "")
                used.insert(key)
                #expect(Catalog.english[key] != nil, "template \(name) uses t.\(key), which no catalogue has")
            }
        }
        #expect(used.count > 100)
    }

    @Test("every string the pages look up by name exists", arguments: Self.namedKeys)
    func namedStringsExist(_ key: String) {
        #expect(Catalog.english[key] != nil, "\(key)")
    }

    /// Keys the Swift code builds from values (check names, option labels, titles by status).
    static let namedKeys: [String] =
        ValidationChecks.names.map { "check_\($0)" }
        + ServerForm.securityValues.map(\.2) + ServerForm.authValues.map(\.2) + ServerForm.providerValues.map(\.2)
        + ServerForm.flowValues.map(\.2) + ServerForm.uncertainValues.map(\.2) + ConsoleRoutes.severities.map(\.2)
        + [
            "not_found", "not_allowed", "invalid_input", "conflict", "too_many_requests", "unavailable",
            "something_failed", "session_ended", "csrf_refused", "form_unreadable", "sign_in_wait", "sign_in_failed",
            "consent_connected", "consent_failed", "consent_stored", "days_left", "expired", "active", "disabled",
            "enable_tenant", "disable_tenant", "password", "client_secret", "refresh_token", "secret_not_set",
            "secret_set_on", "secret_expires_on", "import_summary", "accepted", "refused", "source_operator",
            "source_estimated", "source_provider", "state_sent", "state_failed", "version_conflict", "server_saved",
        ]

    static func placeholders(_ text: String) -> Set<String> {
        Set(text.matches(of: /\{[a-z_]+\}/).map { String($0.output) })
    }

    @Test(
        "Accept-Language picks the best supported language by quality, English otherwise",
        arguments: [
            ("es-ES,es;q=0.9,en;q=0.8", Language.spanish), ("pt-BR", .portuguese), ("fr-FR, pt;q=0.5", .portuguese),
            ("de, en;q=0.1", .english), ("en;q=0.2, es;q=0.7", .spanish), ("", .english), ("es;q=0", .english),
        ]
    )
    func negotiation(header: String, expected: Language) {
        #expect(Language.negotiate(acceptLanguage: header) == expected)
    }

    @Test("placeholders are filled")
    func filling() {
        #expect(Language.spanish.text("days_left", ["days": "5"]).contains("5"))
        #expect(Language.english.text("days_left", ["days": "5"]) == "5 days left")
    }
}
