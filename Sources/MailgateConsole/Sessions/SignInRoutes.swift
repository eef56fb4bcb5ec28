import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailgateRPC
import MailgateService
import MailgateStore

/// `/sign-in` and `/sign-out`. A key is checked once, by the same authenticator RPC calls
/// pass (with its limit on failed attempts per address), and exchanged for a session: a
/// random id in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS), kept in
/// PostgreSQL so every replica knows it.
struct SignInRoutes: Sendable {
    /// The sign-in form's own CSRF token (there is no session yet to hold one).
    static let csrfCookie = "mg_signin"

    let backend: ConsoleBackend
    let configuration: ConsoleConfiguration
    let pages: PageRenderer

    func register(on router: Router<ConsoleRequestContext>) {
        router.get("/sign-in") { request, context in
            if context.session != nil {
                return Response.seeOther(Self.safeNext(request.uri.queryParameters.get("next")))
            }
            // The token the browser already holds, so two tabs (or a redirected favicon request)
            // do not invalidate each other's form.
            let held = request.cookies[Self.csrfCookie]?.value ?? ""
            return self.form(
                next: request.uri.queryParameters.get("next") ?? "",
                token: held.count >= 43 ? held : SessionToken.make(),
                context: context
            )
        }
        router.post("/sign-in") { request, context in
            try await self.signIn(userAgent: request.headers[.userAgent] ?? "", context: context)
        }
        router.post("/sign-out") { _, context in
            if let session = context.session { try await self.backend.sessions.delete(idHash: session.idHash) }
            var response = Response.seeOther("/sign-in")
            response.setCookie(self.cookie(Self.sessionCookieName, value: "", maxAge: 0))
            return response
        }
    }

    static var sessionCookieName: String { SessionMiddleware.cookieName }

    private func form(
        next: String,
        token: String = SessionToken.make(),
        error: String? = nil,
        status: HTTPResponse.Status = .ok,
        context: ConsoleRequestContext
    ) -> Response {
        var data: [String: Any] = ["signInToken": token, "next": next]
        if let error { data["error"] = error }
        var response = self.pages.page(
            "sign-in",
            title: context.language.text("sign_in_title"),
            data,
            context: context,
            status: status
        )
        response.setCookie(self.cookie(Self.csrfCookie, value: token, maxAge: 3600))
        return response
    }

    private func signIn(userAgent: String, context: ConsoleRequestContext) async throws -> Response {
        let key = context.form["key"].trimmingCharacters(in: .whitespacesAndNewlines)
        let next = context.form["next"]
        let principal: Principal
        do {
            principal = try await self.backend.authenticator.authenticate(
                metadata: ["authorization": "Bearer \(key)"],
                method: "console/sign-in",
                peer: context.peer
            )
        } catch {
            let rpcError = RPCError(converting: error)
            context.logger.notice(
                "console sign-in refused",
                metadata: ["peer": "\(context.peer)", "reason": "\(rpcError.reason)"]
            )
            switch rpcError.code {
            case .resourceExhausted:
                let seconds = max(1, (rpcError.retryAfterMilliseconds + 999) / 1000)
                return self.form(
                    next: next,
                    error: context.language.text("sign_in_wait", ["seconds": "\(seconds)"]),
                    status: .tooManyRequests,
                    context: context
                )
            case .unavailable:
                return self.form(
                    next: next,
                    error: context.language.text("unavailable"),
                    status: .serviceUnavailable,
                    context: context
                )
            case .permissionDenied:
                return self.form(
                    next: next,
                    error: rpcError.message,
                    status: .forbidden,
                    context: context
                )
            default:
                return self.form(
                    next: next,
                    error: context.language.text("sign_in_failed"),
                    status: .unauthorized,
                    context: context
                )
            }
        }
        // Sessions that can no longer be used go now; so does the one this browser had.
        _ = try? await self.backend.sessions.deleteEnded(idleTimeout: self.configuration.idleTimeout)
        if let previous = context.session { try? await self.backend.sessions.delete(idHash: previous.idHash) }
        let token = SessionToken.make()
        try await self.backend.sessions.create(
            idHash: SessionToken.hash(token),
            keyID: principal.keyID,
            csrfToken: SessionToken.make(),
            lifetime: self.configuration.lifetime,
            peer: context.peer.description,
            userAgent: userAgent
        )
        context.logger.info("console sign-in", metadata: ["key_id": "\(principal.keyID)", "peer": "\(context.peer)"])
        var response = Response.seeOther(Self.safeNext(next))
        response.setCookie(self.cookie(Self.csrfCookie, value: "", maxAge: 0))
        response.setCookie(
            self.cookie(
                Self.sessionCookieName,
                value: token,
                maxAge: Int(self.configuration.lifetime.components.seconds)
            )
        )
        return response
    }

    private func cookie(_ name: String, value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: name,
            value: value,
            maxAge: maxAge,
            path: "/",
            secure: self.configuration.isSecure,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// Only a path of this console: never another site (`//host`, `https://…`, nor what a
    /// browser would turn into one by dropping tabs and newlines or reading `\` as `/`).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"),
            !next.unicodeScalars.contains(where: { $0 == "\\" || CharacterSet.controlCharacters.contains($0) }),
            let parsed = URLComponents(string: next), parsed.scheme == nil, parsed.host == nil
        else { return "/" }
        return next
    }
}
