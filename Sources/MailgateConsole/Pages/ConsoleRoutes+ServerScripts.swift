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
        router.post("/tenants/:tenant/server-validation.json") { _, context in
            let tenant = context.parameters.value("tenant")
            var request = Mailgate_V1_ValidateServerRequest()
            request.tenant = tenant
            request.server = context.form["stored_name"]
            // A saved server tested as saved is validated as RPC callers would (its result is
            // recorded and shown in the list; a failure raises an event); a new or edited form
            // is validated as a draft, which changes nothing.
            if request.server.isEmpty || context.form.isChecked("edited") {
                let (draft, violations) = ServerForm.request(from: context.form, tenant: tenant)
                guard violations.isEmpty else { return Self.jsonFailure(Self.invalid(violations, context: context)) }
                request.draft = draft
            }
            request.sendTestMessage = context.form.isChecked("send_test_message")
            return self.validationStream(request, context: context)
        }
        // Get refresh token on a new or edited form saves it first (consent needs a stored server).
        router.post("/tenants/:tenant/server-save.json") { _, context in
            let (request, violations) = ServerForm.request(
                from: context.form,
                tenant: context.parameters.value("tenant")
            )
            guard violations.isEmpty else { return Self.jsonFailure(Self.invalid(violations, context: context)) }
            do {
                let saved = try await self.call(
                    "/mailgate.v1.Admin/PutServer",
                    request,
                    returning: Mailgate_V1_OutputServer.self,
                    context: context
                )
                return Response.json(["name": saved.name, "version": saved.version])
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
            return await self.consentCallback(fields, context: context)
        }
        router.post("/oauth/callback") { _, context in
            await self.consentCallback(context.form.fields, context: context)
        }
    }

    /// Completes a consent from the provider's answer and says how it went; the page's
    /// script tells the form that opened the popup, then closes it.
    private func consentCallback(_ fields: [String: String], context: ConsoleRequestContext) async -> Response {
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

    /// Test connection's answer, one JSON object a line as the checks complete: `{"checks": […]}`
    /// while the run goes on, then `{"final": {…}}` with the whole result, or `{"error": …}`.
    func validationStream(_ request: Mailgate_V1_ValidateServerRequest, context: ConsoleRequestContext) -> Response {
        let (lines, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
        @Sendable func send(_ object: [String: any Sendable]) {
            var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            data.append(UInt8(ascii: "\n"))
            continuation.yield(ByteBuffer(bytes: data))
        }
        let call = Task {
            do {
                let result = try await self.call(
                    "/mailgate.v1.Mailer/ValidateServer",
                    request,
                    returning: Mailgate_V1_ValidateServerResponse.self,
                    context: context
                ) { partial in
                    guard let partial = partial as? Mailgate_V1_ValidateServerResponse else { return }
                    send(["checks": Self.checksJSON(partial.checks)])
                }
                send(["final": Self.validationJSON(result)])
            } catch {
                send(Self.failureJSON(error))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in call.cancel() }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
            body: ResponseBody(asyncSequence: lines)
        )
    }

    /// `/oauth/callback` of this console as the browser reaches it.
    func callbackURL(_ request: Request) -> String {
        if let configured = self.configuration.publicURL {
            return configured.hasSuffix("/") ? "\(configured)oauth/callback" : "\(configured)/oauth/callback"
        }
        let scheme = self.configuration.tls == nil ? "http" : "https"
        return "\(scheme)://\(request.head.authority ?? "localhost:\(self.configuration.port)")/oauth/callback"
    }

    static func validationJSON(_ result: Mailgate_V1_ValidateServerResponse) -> [String: any Sendable] {
        [
            "ok": result.ok,
            "summary": result.summary,
            "test_message_id": result.testMessageID,
            "checks": Self.checksJSON(result.checks),
        ]
    }

    static func checksJSON(_ checks: [Mailgate_V1_ValidationCheck]) -> [[String: any Sendable]] {
        checks.map { check in
            [
                "name": check.name,
                "outcome": Self.outcomeName(check.outcome),
                "duration_ms": check.durationMs,
                "detail": check.detail,
                "remedy": check.remedy,
                "reason": check.reason,
            ]
        }
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

    /// The refusal of a form with fields that are not even numbers.
    static func invalid(_ violations: [RPCError.FieldViolation], context: ConsoleRequestContext) -> RPCError {
        RPCError(code: .invalidArgument, message: context.language.text("invalid_input"), fieldViolations: violations)
    }

    /// A failed call for the console's script: status, message and field problems.
    static func jsonFailure(_ error: any Error) -> Response {
        Response.json(Self.failureJSON(error), status: Self.httpStatus(RPCError(converting: error).code))
    }

    static func failureJSON(_ error: any Error) -> [String: any Sendable] {
        let rpcError = RPCError(converting: error)
        return [
            "error": rpcError.message,
            "reason": rpcError.reason,
            "violations": rpcError.fieldViolations.map { ["field": $0.field, "description": $0.description] },
        ]
    }
}
