import HTTPTypes
import Hummingbird
import Logging
import MailgateRPC

/// Headers on every console response: a strict Content-Security-Policy (scripts and styles
/// only from the console itself, no inline script, no framing), no sniffing, no referrer to
/// other sites (same-origin: browsers then send a real `Origin` on form posts), and
/// pages never cached (they show per-session state).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext

    /// Renders the page for a failure no route turned into one (the database unreachable
    /// while a session is looked up, say), so it too gets these headers.
    let pages: PageRenderer

    static var contentSecurityPolicy: String {
        [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
            "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
        ].joined(separator: "; ")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            let rpcError = RPCError(converting: error)
            context.logger.error(
                "console request failed",
                metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"]
            )
            let status = ConsoleRoutes.httpStatus(rpcError.code)
            response =
                request.uri.path.hasSuffix(".json")
                ? .json(["error": context.language.text(ConsoleRoutes.titleKey(rpcError.code))], status: status)
                : self.pages.problem(status, ConsoleRoutes.titleKey(rpcError.code), context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[SecurityHeaderNames.frameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[SecurityHeaderNames.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Header names HTTPTypes does not predefine.
enum SecurityHeaderNames {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
