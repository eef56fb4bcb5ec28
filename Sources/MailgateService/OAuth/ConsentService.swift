import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

/// Consent ("Get refresh token"): a single-use state with PKCE S256 to begin, and the
/// code redeemed with the verifier and the same redirect URI to complete, through the
/// ops port's `/oauth/callback` or `CompleteAuthorization`.
public struct ConsentService: Sendable {
    let servers: ServerRepository
    let authorizations: AuthorizationRepository
    let events: EventRepository
    let tokens: TokenService
    /// The ops port's callback URL, once it listens; nil without an ops port.
    let defaultRedirectURI: @Sendable () async -> String?
    let logger: Logger

    /// How long a consent link works.
    static let stateLifetime: TimeInterval = 600

    /// A consent begun: open `url` in a browser signed in as the sender mailbox.
    struct Started {
        var url: String
        var state: String
        var expiresAt: Date
    }

    /// Why a consent could not be completed: a status for RPC, a page for the browser.
    struct Failure: Error {
        var code: StatusCode
        var reason: String
        var message: String

        var rpcError: RPCError { RPCError(code: self.code, message: self.message, reason: self.reason) }
    }

    func begin(server: ServerRecord, requestedRedirectURI: String, keyID: String) async throws -> Started {
        let name = server.definition.name
        guard server.definition.authType == .oauth2, let oauth = server.definition.oauth else {
            throw RPCError(
                code: .failedPrecondition,
                message: "Server \(name) does not use OAuth.",
                reason: "NOT_OAUTH"
            )
        }
        guard (oauth.flow ?? .authorizationCode) == .authorizationCode else {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "Server \(name) uses client credentials: it needs no user consent (an administrator grants the app's permission in the provider's portal).",
                reason: "CONSENT_NOT_NEEDED"
            )
        }
        guard !oauth.authorizationURL.isEmpty, !oauth.clientID.isEmpty, !oauth.tokenURL.isEmpty else {
            throw RPCError(
                code: .failedPrecondition,
                message: "Server \(name) needs a client id, an authorization URL and a token URL before consent.",
                reason: "OAUTH_NOT_CONFIGURED"
            )
        }
        var redirectURI = requestedRedirectURI
        if redirectURI.isEmpty {
            guard let fallback = await self.defaultRedirectURI() else {
                throw RPCError(
                    code: .failedPrecondition,
                    message:
                        "No redirect URI: pass redirect_uri, or run serve with an ops port (its /oauth/callback is the default).",
                    reason: "NO_REDIRECT_URI"
                )
            }
            redirectURI = fallback
        }
        if let problem = Self.redirectURIProblem(redirectURI) {
            throw RPCError(
                code: .invalidArgument,
                message: "The redirect URI is not acceptable: \(problem).",
                fieldViolations: [.init(field: "redirect_uri", description: problem)]
            )
        }
        let state = PKCE.makeState()
        let verifier = PKCE.makeVerifier()
        let expiresAt = Date().addingTimeInterval(Self.stateLifetime)
        try await self.authorizations.begin(
            state: state,
            tenantID: server.tenantID,
            serverID: server.id,
            keyID: keyID,
            verifier: verifier,
            redirectURI: redirectURI,
            expiresAt: expiresAt
        )
        let request = AuthorizationRequest(
            oauth: oauth,
            redirectURI: redirectURI,
            state: state,
            codeChallenge: PKCE.challenge(for: verifier),
            loginHint: server.definition.username.isEmpty ? server.definition.senderAddress : server.definition.username
        )
        return Started(url: request.url, state: state, expiresAt: expiresAt)
    }

    /// Completes a consent. `keyID` is the caller's key for CompleteAuthorization (it must
    /// be the one that began it), nil for the browser callback, where the state is the proof.
    func complete(state: String, code: String, providerError: (error: String, description: String)?, keyID: String?)
        async throws -> Result<ServerRecord, Failure>
    {
        let pending: PendingAuthorization
        switch try await self.authorizations.take(state: state, keyID: keyID) {
        case .success(let found):
            pending = found
        case .failure(.unknown):
            self.logger.warning("consent callback with an unknown state")
            return .failure(
                Failure(
                    code: .failedPrecondition,
                    reason: "STATE_INVALID",
                    message: "This consent link is not known. Start again with `mailgate server authorize`."
                )
            )
        case .failure(.otherKey):
            return .failure(
                Failure(
                    code: .permissionDenied,
                    reason: "STATE_MISMATCH",
                    message: "This consent was begun with another API key; complete it with that key."
                )
            )
        case .failure(.alreadyUsed(let used, let firstReuse)):
            let message =
                "This consent link was already used; a link works once. Start again with `mailgate server authorize`."
            guard firstReuse else {
                return .failure(Failure(code: .failedPrecondition, reason: "STATE_USED", message: message))
            }
            return .failure(await self.failed(used, reason: "STATE_USED", message: message))
        case .failure(.expired(let expired)):
            return .failure(
                await self.failed(
                    expired,
                    reason: "STATE_EXPIRED",
                    message:
                        "This consent link expired (links work for 10 minutes). Start again with `mailgate server authorize`."
                )
            )
        }
        if let providerError {
            let said =
                providerError.description.isEmpty
                ? providerError.error : "\(providerError.error): \(providerError.description)"
            return .failure(
                await self.failed(
                    pending,
                    reason: providerError.error == "access_denied" ? "CONSENT_DENIED" : "PROVIDER_ERROR",
                    message:
                        "The provider did not grant consent (\(TokenEndpointReply.firstLine(said))). Nothing was stored.",
                    details: ["error": providerError.error]
                )
            )
        }
        guard !code.isEmpty else {
            return .failure(
                await self.failed(
                    pending,
                    reason: "CODE_MISSING",
                    message: "The provider sent no authorization code. Nothing was stored."
                )
            )
        }
        guard
            let server = try await self.servers.find(tenantID: pending.tenantID, idOrName: pending.serverID.uuidString)
        else {
            return .failure(Failure(code: .notFound, reason: "", message: "The server of this consent was deleted."))
        }
        let outcome = try await self.tokens.redeem(
            code: Secret(code),
            verifier: pending.verifier,
            redirectURI: pending.redirectURI,
            server: server,
            actor: keyID ?? pending.keyID
        )
        switch outcome {
        case .success:
            self.logger.info(
                "consent completed; refresh token stored",
                metadata: ["server": "\(server.definition.name)", "tenant_id": "\(server.tenantID)"]
            )
            let stored =
                try await self.servers.find(tenantID: server.tenantID, idOrName: server.id.uuidString) ?? server
            return .success(stored)
        case .failure(let failure):
            var details = failure.eventDetails
            details["remedy"] = failure.reason.remedy
            return .failure(
                await self.failed(
                    pending,
                    reason: failure.reason.rawValue,
                    message: "The authorization code could not be redeemed: \(failure.detail). Nothing was stored.",
                    details: details
                )
            )
        }
    }

    /// Raises `oauth_consent_failed` for the consent's server and returns the failure.
    private func failed(
        _ pending: PendingAuthorization,
        reason: String,
        message: String,
        details: [String: String] = [:]
    ) async -> Failure {
        var details = details
        details["reason"] = reason
        do {
            try await self.events.append(
                NewEvent(
                    tenantID: pending.tenantID,
                    kind: EventKind.oauthConsentFailed,
                    severity: .warning,
                    serverID: pending.serverID,
                    message: "Consent failed (\(reason)): \(message)",
                    details: details,
                    actor: pending.keyID
                )
            )
        } catch {
            self.logger.warning(
                "recording a failed consent failed",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        self.logger.warning("consent failed", metadata: ["reason": "\(reason)", "server_id": "\(pending.serverID)"])
        return Failure(code: .failedPrecondition, reason: reason, message: message)
    }

    /// Why a redirect URI cannot be used, or nil: https, or http on the loopback host
    /// (what Microsoft and Google accept), with no fragment.
    static func redirectURIProblem(_ uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return "must be an absolute URL"
        }
        guard components.fragment == nil else { return "must not have a fragment" }
        switch scheme {
        case "https":
            return nil
        case "http":
            return ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host.lowercased())
                ? nil : "plain http is allowed only for localhost"
        default:
            return "must use https (or http on localhost)"
        }
    }
}
