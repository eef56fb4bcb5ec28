import Foundation
import Hummingbird
import MailgateProto
import MailgateRPC
import MailgateService
import SwiftProtobuf

/// What the server form's script calls: Test connection (ValidateServer on the form as it
/// stands, saved or not), Get refresh token (BeginAuthorization, then the provider's consent
/// in a popup that comes back to `/oauth/callback`), and the secrets' state after a consent.
extension ConsoleRoutes {
    func registerServerScripts(on router: Router<ConsoleRequestContext>) {
        router.post("/tenants/:tenant/servers/validate.json") { _, context in
            let tenant = context.parameters.value("tenant")
            var request = Mailgate_V1_ValidateServerRequest()
            request.tenant = tenant
            request.server = context.form["stored_name"]
            // A saved server tested as saved is validated as RPC callers would (its result is
            // recorded and shown in the list; a failure raises an event); a new or edited form
            // is validated as a draft, which changes nothing.
            if request.server.isEmpty || context.form.isChecked("edited") {
                request.draft = ServerForm.request(from: context.form, tenant: tenant)
            }
            request.sendTestMessage = context.form.isChecked("send_test_message")
            do {
                let result = try await self.call(
                    "/mailgate.v1.Mailer/ValidateServer",
                    request,
                    returning: Mailgate_V1_ValidateServerResponse.self,
                    context: context
                )
                return Response.json(Self.validationJSON(result, language: context.language))
            } catch {
                return Self.jsonFailure(error)
            }
        }
        router.post("/tenants/:tenant/servers/:server/authorize.json") { request, context in
            var begin = Mailgate_V1_BeginAuthorizationRequest()
            begin.tenant = context.parameters.value("tenant")
            begin.server = context.parameters.value("server")
            begin.redirectUri = self.callbackURL(request)
            do {
                let started = try await self.call(
                    "/mailgate.v1.Admin/BeginAuthorization",
                    begin,
                    returning: Mailgate_V1_BeginAuthorizationResponse.self,
                    context: context
                )
                return Response.json(["url": started.authorizationURL])
            } catch {
                return Self.jsonFailure(error)
            }
        }
        router.get("/tenants/:tenant/servers/:server/state.json") { _, context in
            do {
                let server = try await self.storedServer(
                    context.parameters.value("server"),
                    tenant: context.parameters.value("tenant"),
                    context: context
                )
                let language = context.language
                return Response.json([
                    "version": server.version,
                    "password": ServerForm.stateText(server.password, language),
                    "client_secret": ServerForm.stateText(server.clientSecret, language),
                    "refresh_token": ServerForm.stateText(server.refreshToken, language),
                    "refresh_token_set": server.refreshToken.isSet,
                    "consent": await self.consentAccount(
                        server,
                        tenant: context.parameters.value("tenant"),
                        context: context
                    ),
                    "refresh_token_set_at": server.refreshToken.hasSetAt ? server.refreshToken.setAt.seconds : Int64(0),
                ])
            } catch {
                return Self.jsonFailure(error)
            }
        }
        // The provider sends the browser here (no session cookie comes along: it is SameSite=Strict
        // and this is a navigation from the provider's site); the state is the proof.
        router.get("/oauth/callback") { request, context in
            var fields: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
            let outcome = await self.backend.consent.completeFromBrowser(fields: fields)
            let language = context.language
            return self.pages.page(
                "callback",
                title: language.text(outcome.succeeded ? "consent_connected" : "consent_failed"),
                [
                    "ok": outcome.succeeded ? "1" : "0",
                    "server": outcome.serverName ?? "",
                    "heading": language.text(outcome.succeeded ? "consent_connected" : "consent_failed"),
                    "text": outcome.succeeded
                        ? language.text("consent_stored", ["server": outcome.serverName ?? ""]) : outcome.text,
                ],
                context: context,
                status: .init(code: outcome.status)
            )
        }
    }

    /// `/oauth/callback` of this console as the browser reaches it.
    func callbackURL(_ request: Request) -> String {
        if let configured = self.configuration.publicURL {
            return configured.hasSuffix("/") ? "\(configured)oauth/callback" : "\(configured)/oauth/callback"
        }
        let scheme = self.configuration.tls == nil ? "http" : "https"
        return "\(scheme)://\(request.head.authority ?? "localhost:\(self.configuration.port)")/oauth/callback"
    }

    static func validationJSON(_ result: Mailgate_V1_ValidateServerResponse, language: Language) -> [String: Any] {
        [
            "ok": result.ok,
            "summary": result.summary,
            "test_message_id": result.testMessageID,
            "checks": result.checks.map { check -> [String: Any] in
                [
                    "name": check.name,
                    "outcome": Self.outcomeName(check.outcome),
                    "duration_ms": check.durationMs,
                    "detail": check.detail,
                    "remedy": check.remedy,
                    "reason": check.reason,
                ]
            },
        ]
    }

    static func outcomeName(_ outcome: Mailgate_V1_CheckOutcome) -> String {
        switch outcome {
        case .ok: "ok"
        case .failed: "failed"
        case .warning: "warning"
        case .skipped: "skipped"
        default: "skipped"
        }
    }

    /// A failed call for the console's script: status, message and field problems.
    static func jsonFailure(_ error: any Error) -> Response {
        let rpcError = RPCError(converting: error)
        return Response.json(
            [
                "error": rpcError.message,
                "reason": rpcError.reason,
                "violations": rpcError.fieldViolations.map { ["field": $0.field, "description": $0.description] },
            ],
            status: Self.httpStatus(rpcError.code)
        )
    }
}
