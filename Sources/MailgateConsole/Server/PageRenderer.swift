import Foundation
import HTTPTypes
import Hummingbird
import MailgateService
import Mustache
import NIOCore

/// Renders the console's pages: a Mustache template inside the layout, with the strings of
/// the request's language (`{{t.key}}`), who is signed in and the session's form token.
/// Mustache escapes every value, so nothing a user typed is ever markup.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// The page `template` titled by the catalogue string `titleKey`.
    func page(
        _ template: String,
        title: String,
        _ data: [String: Any] = [:],
        context: ConsoleRequestContext,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var values = self.common(context)
        values["title"] = title
        values.merge(data) { _, page in page }
        let html = self.library.render(values, withTemplate: template) ?? ""
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// An error page (or, for the console's JSON endpoints, a JSON error) saying `key` from the
    /// catalogue, and `detail` when given.
    func problem(
        _ status: HTTPResponse.Status,
        _ key: String,
        detail: String? = nil,
        context: ConsoleRequestContext
    ) -> Response {
        self.page(
            "problem",
            title: context.language.text(key),
            ["detail": detail ?? "", "status": status.code],
            context: context,
            status: status
        )
    }

    /// What every page shows: the language switch, the navigation, the sign-out form.
    private func common(_ context: ConsoleRequestContext) -> [String: Any] {
        var values: [String: Any] = [
            "t": context.language.catalog,
            "lang": context.language.rawValue,
            "languages": Language.allCases.map { language -> [String: Any] in
                let page = context.pageForLanguageSwitch
                return [
                    "code": language.rawValue, "name": language.nativeName, "current": language == context.language,
                    "href": page + (page.contains("?") ? "&" : "?") + "lang=\(language.rawValue)",
                ]
            },
        ]
        if let session = context.session {
            values["signedIn"] = true
            values["csrf"] = session.csrfToken
            values["keyID"] = session.principal.keyID
            values["isOperator"] = session.principal.isOperator
            if let own = session.ownTenant { values["homeTenant"] = own }
        }
        return values
    }
}
