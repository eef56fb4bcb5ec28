import Foundation
import HTTPTypes
import Hummingbird

/// Picks the page language: `?lang=` (remembered in a cookie), else the cookie, else the
/// browser's `Accept-Language`.
struct LanguageMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    static let cookieName = "mg_lang"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if request.method == .get {
            var page = URLComponents()
            page.percentEncodedPath = request.uri.path
            let kept = (URLComponents(string: request.uri.description)?.queryItems ?? []).filter { $0.name != "lang" }
            page.queryItems = kept.isEmpty ? nil : kept
            context.pageForLanguageSwitch = page.string ?? "/"
        }
        let chosen = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:))
        if let chosen {
            context.language = chosen
        } else if let remembered = request.cookies[Self.cookieName].flatMap({ Language(rawValue: $0.value) }) {
            context.language = remembered
        } else {
            context.language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        }
        var response = try await next(request, context)
        if let chosen {
            response.setCookie(
                Cookie(
                    name: Self.cookieName,
                    value: chosen.rawValue,
                    maxAge: 365 * 86400,
                    path: "/",
                    httpOnly: true,
                    sameSite: .strict
                )
            )
        }
        return response
    }
}
