import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailgateService
import MailgateStore

/// Finds the session of the request's cookie, sends browsers without one to the sign-in page,
/// and refuses any state-changing request whose CSRF token (form field `csrf` or header
/// `X-CSRF-Token`) is not its session's, or whose `Origin` is another site.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext

    static let cookieName = "mg_session"
    /// What a browser without a session may load.
    static let publicPaths: Set<String> = ["/sign-in", "/oauth/callback"]
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let backend: ConsoleBackend
    let configuration: ConsoleConfiguration
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        let path = request.uri.path
        // The style sheet and the script are the same for everyone: no session to look up.
        if path.hasPrefix("/static/") || path == "/favicon.ico" { return try await next(request, context) }
        if let token = request.cookies[Self.cookieName]?.value, !token.isEmpty {
            let idHash = SessionToken.hash(token)
            if let record = try await self.backend.sessions.find(
                idHash: idHash,
                idleTimeout: self.configuration.idleTimeout
            ) {
                context.session = ConsoleSession(record: record, idHash: idHash)
            }
        }
        let isPublic = Self.publicPaths.contains(path)
        let changesState = request.method != .get && request.method != .head
        if !isPublic, context.session == nil {
            guard !changesState, !path.hasSuffix(".json") else {
                return self.refuse(.unauthorized, "session_ended", path: path, context: context)
            }
            let next = path == "/" ? "" : "?next=\(URLPath.queryValue(path))"
            return .seeOther("/sign-in\(next)")
        }
        guard changesState else { return try await next(request, context) }

        // Only a sheet upload is large; every other form is small.
        let limit = path.hasSuffix("/server-sheet/import") ? context.maxUploadSize : Self.formLimit
        var request = request
        let body = try await request.collectBody(upTo: limit)
        guard let form = FormBody(contentType: request.headers[.contentType], body: Data(body.readableBytesView)) else {
            return self.refuse(.badRequest, "form_unreadable", path: path, context: context)
        }
        context.form = form
        // The provider posts the consent's answer from its own site (form_post): the consent's
        // single-use state is the proof there, not a session.
        if path == "/oauth/callback" { return try await next(request, context) }

        if let origin = request.headers[.origin], !Self.isSameOrigin(origin, host: request.head.authority) {
            return self.refuse(.forbidden, "csrf_refused", path: path, context: context)
        }
        // Sign-in has no session yet: its token is the one its own cookie carries.
        let expected = path == "/sign-in" ? request.cookies[SignInRoutes.csrfCookie]?.value : context.session?.csrfToken
        let presented = request.headers[Self.csrfHeader] ?? form["csrf"]
        guard let expected, SessionToken.matches(presented, expected) else {
            context.logger.notice("console form refused: missing or wrong CSRF token", metadata: ["path": "\(path)"])
            return self.refuse(.forbidden, "csrf_refused", path: path, context: context)
        }
        return try await next(request, context)
    }

    /// The largest form but a sheet upload.
    static let formLimit = 64 << 10

    /// A refusal as a page, or as JSON for the console's script (`….json`).
    private func refuse(_ status: HTTPResponse.Status, _ key: String, path: String, context: Context) -> Response {
        guard path.hasSuffix(".json") else { return self.pages.problem(status, key, context: context) }
        return .json(["error": context.language.text(key)], status: status)
    }

    /// An `Origin` header names this host (any scheme): a form posted from this console.
    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased() || originHost.lowercased() == host.lowercased()
    }
}
