import Foundation
import Logging
import MailgateCore
import MailgateStore
import NIOCore
import NIOHTTP1

extension ConsentService {
    /// `GET /oauth/callback?code=…&state=…` (or `error=…`), and `POST` with the same
    /// fields as a form (`response_mode=form_post`): completes the consent and answers
    /// with a small page for the person at the browser.
    func callback(_ request: OpsHTTPServer.Request) async -> OpsHTTPServer.Response {
        let fields: [String: String]
        switch request.method {
        case .GET:
            fields = FormEncoding.decode(request.query)
        case .POST:
            fields = FormEncoding.decode(String(buffer: request.body))
        default:
            return OpsHTTPServer.Response(status: .methodNotAllowed, body: "GET or POST\n")
        }
        let outcome = await self.completeFromBrowser(fields: fields)
        return Self.page(
            status: HTTPResponseStatus(statusCode: outcome.status),
            title: outcome.title,
            text: outcome.text
        )
    }

    /// What the provider's redirect back to Mailgate concluded, for the person at the browser.
    public struct BrowserOutcome: Sendable {
        /// The refresh token was stored.
        public var succeeded: Bool
        /// A heading for the page: "Connected", "Consent failed", "Try again".
        public var title: String
        /// What happened and what to do, in a sentence or two.
        public var text: String
        /// The HTTP status to answer with: 200, 400 or 503.
        public var status: Int
        /// The server the consent was for, once known.
        public var serverName: String?
    }

    /// Completes a consent from the fields of the provider's redirect (`state`, `code`, or
    /// `error` and `error_description`); the state is the proof, no key is needed. Used by the
    /// ops port's and the console's `/oauth/callback`.
    public func completeFromBrowser(fields: [String: String]) async -> BrowserOutcome {
        guard let state = fields["state"], !state.isEmpty else {
            return BrowserOutcome(
                succeeded: false,
                title: "Consent failed",
                text: "The provider's answer has no state. Start again with mailgate server authorize.",
                status: 400
            )
        }
        let providerError = fields["error"].map { (error: $0, description: fields["error_description"] ?? "") }
        do {
            switch try await self.complete(
                state: state,
                code: fields["code"] ?? "",
                providerError: providerError,
                keyID: nil
            ) {
            case .success(let server):
                return BrowserOutcome(
                    succeeded: true,
                    title: "Connected",
                    text:
                        "Mailgate stored the refresh token for server \(server.definition.name). You can close this window.",
                    status: 200,
                    serverName: server.definition.name
                )
            case .failure(let failure):
                return BrowserOutcome(
                    succeeded: false,
                    title: "Consent failed",
                    text: "\(failure.message) (\(failure.reason))",
                    status: 400
                )
            }
        } catch {
            self.logger.warning("consent callback failed", metadata: ["error": "\(String(reflecting: error))"])
            return BrowserOutcome(
                succeeded: false,
                title: "Try again",
                text: "Mailgate could not reach its database. Reload this page in a moment.",
                status: 503
            )
        }
    }

    static func page(status: HTTPResponseStatus, title: String, text: String) -> OpsHTTPServer.Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Mailgate: \(Self.escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}</style></head>
            <body><h1>\(Self.escape(title))</h1><p>\(Self.escape(text))</p></body></html>

            """
        return OpsHTTPServer.Response(status: status, contentType: "text/html; charset=utf-8", body: html)
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
