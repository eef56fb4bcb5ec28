import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore
import Synchronization
import Tracing

/// Obtains OAuth access tokens for output servers: from the encrypted cache while they
/// have more than the refresh margin left, otherwise from the token endpoint, one
/// request per server at a time across all workers and replicas (an in-process flight
/// per server, then the server row's lock, re-read after acquiring it).
public final class TokenService: Sendable {
    /// Which token a caller accepts.
    public enum Freshness: Sendable, Hashable {
        /// The cached token while it has more than the refresh margin left.
        case cachedIfValid
        /// A new token whatever the cache holds (RefreshToken).
        case forced
        /// Any token but this one, which the SMTP server refused.
        case replacing(Secret)
    }

    let servers: ServerRepository
    /// Lifted when a consent stores a new refresh token: the fix the block waited for.
    let blocks: ServerBlockRepository?
    let vault: Vault
    let http: HTTPTransport
    let settings: TokenSettings
    let metrics: ServiceMetrics
    let logger: Logger
    private let flights = Mutex<[Flight: Task<Result<AccessToken, TokenFailure>, any Error>]>([:])
    /// A refresh holds a database connection and the server's row lock while its request
    /// runs: it takes a permit first, so none waits for an HTTP thread with the lock held.
    private let permits: AsyncPermits

    private struct Flight: Hashable {
        var serverID: UUID
        var freshness: Freshness
    }

    /// - Parameter http: its thread count bounds concurrent token requests (`concurrentRequests`).
    public init(
        servers: ServerRepository,
        blocks: ServerBlockRepository? = nil,
        vault: Vault,
        http: HTTPTransport,
        concurrentRequests: Int,
        settings: TokenSettings,
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.permits = AsyncPermits(max(1, concurrentRequests))
        self.metrics = metrics
        self.servers = servers
        self.blocks = blocks
        self.vault = vault
        self.http = http
        self.settings = settings
        self.logger = logger
    }

    /// A token for `server`, or why there is none. Throws only database errors.
    public func token(for server: ServerRecord, freshness: Freshness = .cachedIfValid) async throws -> Result<
        AccessToken, TokenFailure
    > {
        if freshness == .cachedIfValid {
            if let cached = self.usableCachedToken(server, rejecting: nil) { return .success(cached) }
            if let failure = Self.standingFailure(server, now: Date()) { return .failure(failure) }
        }
        let flight = Flight(serverID: server.id, freshness: freshness)
        let task = self.flights.withLock { flights in
            if let running = flights[flight] { return running }
            let task = Task { try await self.refresh(server, freshness: freshness) }
            flights[flight] = task
            return task
        }
        defer { self.flights.withLock { if $0[flight] == task { $0[flight] = nil } } }
        return try await task.value
    }

    /// A token for a server that is not stored (ValidateServer on a draft): always asked of
    /// the endpoint, and nothing is cached, stored or raised as an event. A refresh token the
    /// provider rotates is not kept (`refreshTokenRotated` says it happened).
    public func trialToken(for draft: ServerRecord) async -> Result<AccessToken, TokenFailure> {
        switch self.grant(for: draft) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let (grant, oauth, clientSecret)):
            var previous: Secret?
            if case .refreshToken(let token) = grant { previous = token }
            let outcome: Result<IssuedToken, TokenFailure>
            do {
                outcome = try await self.permits.withPermit {
                    await self.request(grant, oauth: oauth, clientSecret: clientSecret, server: draft)
                }
            } catch {
                return .failure(TokenFailure(reason: .endpointUnavailable, detail: "not asked: the call ended"))
            }
            return outcome.map { issued in
                AccessToken(
                    issued: issued,
                    now: Date(),
                    requestedScopes: oauth.scopes,
                    refreshTokenRotated: issued.refreshToken.map { $0 != previous && previous != nil } ?? false
                )
            }
        }
    }

    /// Redeems a consent's authorization code and stores the refresh token it brings,
    /// with its access token. A reply without a refresh token stores nothing.
    public func redeem(code: Secret, verifier: Secret, redirectURI: String, server: ServerRecord, actor: String)
        async throws -> Result<AccessToken, TokenFailure>
    {
        let (_, outcome) = try await self.permits.withPermit {
            try await self.servers.withTokenLock(tenantID: server.tenantID, serverID: server.id) { locked in
                await self.redeem(
                    code: code,
                    verifier: verifier,
                    redirectURI: redirectURI,
                    locked: locked,
                    actor: actor
                )
            }
        }
        if case .success = outcome {
            _ = try? await self.blocks?.unblock(
                tenantID: server.tenantID,
                serverID: server.id,
                serverName: server.definition.name,
                why: "a consent stored a new refresh token"
            )
        }
        return outcome
    }

    private func redeem(code: Secret, verifier: Secret, redirectURI: String, locked: ServerRecord, actor: String) async
        -> (TokenWrite, Result<AccessToken, TokenFailure>)
    {
        guard let oauth = locked.definition.oauth else {
            return (.none, .failure(TokenFailure(reason: .notConfigured, detail: "the server is not an OAuth server")))
        }
        let clientSecret = try? locked.openSecret(.clientSecret, with: self.vault)
        let grant = TokenGrant.authorizationCode(code: code, verifier: verifier, redirectURI: redirectURI)
        let issued: IssuedToken
        switch await self.request(grant, oauth: oauth, clientSecret: clientSecret, server: locked) {
        case .failure(let failure):
            return (.none, .failure(failure))
        case .success(let token):
            issued = token
        }
        guard let refreshToken = issued.refreshToken else {
            let detail =
                oauth.provider == .google
                ? "Google issued no refresh token (the consent needs access_type=offline and prompt=consent)"
                : "the provider issued no refresh token (is offline_access among the scopes?)"
            return (.none, .failure(TokenFailure(reason: .noRefreshToken, detail: detail)))
        }
        let consenting = Self.consentingAccount(issued, server: locked.definition)
        if case .mismatch(let why) = consenting {
            return (.none, .failure(TokenFailure(reason: .accountMismatch, detail: why)))
        }
        let token = AccessToken(
            issued: issued,
            now: Date(),
            requestedScopes: oauth.scopes,
            refreshTokenRotated: locked.refreshToken.isSet
        )
        var details = ["server": locked.definition.name, "scopes": token.scopes.joined(separator: " ")]
        var delegation = ""
        if case .delegate(let account) = consenting {
            details["signed_in_as"] = account
            delegation = " It was given by \(account), who sends for the mailbox as a delegate (a shared mailbox)."
        }
        let event = NewEvent(
            tenantID: locked.tenantID,
            kind: EventKind.oauthConsentCompleted,
            serverID: locked.id,
            message:
                "Consent completed for server \(locked.definition.name): a refresh token is stored and mail can be sent.\(delegation)",
            details: details,
            actor: actor
        )
        let write = NewAccessToken(
            accessToken: token.value,
            expiresAt: token.expiresAt,
            scopes: token.scopes,
            refreshToken: refreshToken,
            events: [event]
        )
        return (.store(write), .success(token))
    }

    /// Who gave a consent, against the server's mailbox (its username, else its sender).
    enum ConsentingAccount: Equatable {
        /// The mailbox itself, or a generic provider that does not say.
        case mailbox
        /// Another account of the mailbox's domain: a delegate of a shared mailbox, which
        /// Microsoft documents for XOAUTH2. Accepted, and said in the consent's event.
        case delegate(String)
        /// Another organisation's account, or none named: refused.
        case mismatch(String)
    }

    /// For Microsoft and Google the consent asks for OpenID Connect's identity scopes, so
    /// the reply must name the account; a generic provider is checked only when it names one.
    static func consentingAccount(_ issued: IssuedToken, server definition: ServerDefinition) -> ConsentingAccount {
        let mailbox = definition.username.isEmpty ? definition.senderAddress : definition.username
        guard let signedIn = issued.signedInAs.first else {
            switch definition.oauth?.provider {
            case .microsoft, .google:
                return .mismatch("the provider did not say which account signed in (no id_token in its reply)")
            case .generic, nil:
                return .mailbox
            }
        }
        if issued.signedInAs.contains(where: { $0.caseInsensitiveCompare(mailbox) == .orderedSame }) { return .mailbox }
        func domain(_ address: String) -> String { address.split(separator: "@").last.map { $0.lowercased() } ?? "" }
        if let delegate = issued.signedInAs.first(where: { domain($0) == domain(mailbox) && !domain(mailbox).isEmpty })
        {
            return .delegate(delegate)
        }
        return .mismatch(
            "signed in as \(signedIn), an account outside \(domain(mailbox)), but server \(definition.name) sends as \(mailbox)"
        )
    }

    private func refresh(_ server: ServerRecord, freshness: Freshness) async throws -> Result<AccessToken, TokenFailure>
    {
        let (_, outcome) = try await self.permits.withPermit {
            try await self.servers.withTokenLock(tenantID: server.tenantID, serverID: server.id) { locked in
                await self.decide(locked, freshness: freshness)
            }
        }
        return outcome
    }

    /// With the row locked: reuse what another caller stored meanwhile, or ask the endpoint.
    private func decide(_ server: ServerRecord, freshness: Freshness) async -> (
        TokenWrite, Result<AccessToken, TokenFailure>
    ) {
        let now = Date()
        switch freshness {
        case .cachedIfValid:
            if let cached = self.usableCachedToken(server, rejecting: nil) { return (.none, .success(cached)) }
            if let failure = Self.standingFailure(server, now: now) { return (.none, .failure(failure)) }
        case .replacing(let rejected):
            if let cached = self.usableCachedToken(server, rejecting: rejected) { return (.none, .success(cached)) }
            if let failure = Self.standingFailure(server, now: now) { return (.none, .failure(failure)) }
        case .forced:
            break
        }
        let outcome: Result<IssuedToken, TokenFailure>
        var refreshToken: Secret?
        switch self.grant(for: server) {
        case .failure(let failure):
            outcome = .failure(failure)
        case .success(let (grant, oauth, clientSecret)):
            if case .refreshToken(let token) = grant { refreshToken = token }
            outcome = await self.request(grant, oauth: oauth, clientSecret: clientSecret, server: server)
        }
        switch outcome {
        case .success(let issued):
            return self.stored(issued, server: server, previousRefreshToken: refreshToken, now: Date())
        case .failure(let failure):
            return self.recorded(failure, server: server, now: Date())
        }
    }

    /// The grant the server's flow uses, with what it needs opened.
    private func grant(for server: ServerRecord) -> Result<(TokenGrant, ServerDefinition.OAuth, Secret?), TokenFailure>
    {
        let name = server.definition.name
        guard server.definition.authType == .oauth2, let oauth = server.definition.oauth else {
            return .failure(TokenFailure(reason: .notConfigured, detail: "server \(name) does not use OAuth"))
        }
        guard !oauth.tokenURL.isEmpty, !oauth.clientID.isEmpty else {
            return .failure(
                TokenFailure(reason: .notConfigured, detail: "server \(name) has no token URL or client id")
            )
        }
        let clientSecret: Secret?
        let refreshToken: Secret?
        do {
            clientSecret = try server.openSecret(.clientSecret, with: self.vault)
            refreshToken = try server.openSecret(.refreshToken, with: self.vault)
        } catch {
            return .failure(
                TokenFailure(
                    reason: .notConfigured,
                    detail: "a secret of server \(name) cannot be opened with the master key ring"
                )
            )
        }
        switch oauth.flow ?? .authorizationCode {
        case .clientCredentials:
            guard clientSecret != nil else {
                return .failure(
                    TokenFailure(
                        reason: .notConfigured,
                        detail: "server \(name) uses client credentials but has no client secret"
                    )
                )
            }
            return .success((.clientCredentials, oauth, clientSecret))
        case .authorizationCode:
            guard let refreshToken else {
                return .failure(
                    TokenFailure(
                        reason: .consentRequired,
                        detail: "server \(name) has no refresh token yet: run `mailgate server authorize \(name)`"
                    )
                )
            }
            return .success((.refreshToken(refreshToken), oauth, clientSecret))
        }
    }

    /// One token request, asked once more after a first `invalid_grant` to a refresh.
    /// Logged without any secret; Graph discovery asks through it too.
    func request(_ grant: TokenGrant, oauth: ServerDefinition.OAuth, clientSecret: Secret?, server: ServerRecord) async
        -> Result<IssuedToken, TokenFailure>
    {
        var attempt = 1
        while true {
            let started = ContinuousClock.now
            let request = HTTPRequest.form(
                url: oauth.tokenURL,
                fields: grant.formFields(oauth: oauth, clientSecret: clientSecret),
                caFile: self.settings.caFile,
                timeout: self.settings.requestTimeout
            )
            let outcome: Result<IssuedToken, TokenFailure> = await withSpan("oauth.token_request", ofKind: .client) {
                span in
                span.attributes["mailgate.server"] = server.definition.name
                span.attributes["oauth.provider"] = oauth.provider?.rawValue ?? "generic"
                span.attributes["oauth.grant"] = grant.name
                let outcome: Result<IssuedToken, TokenFailure>
                switch await self.http.perform(request) {
                case .failure(let transport):
                    outcome = .failure(.unreachable(transport.detail))
                case .success(let response):
                    span.attributes["http.response.status_code"] = response.status
                    outcome = TokenEndpointReply.parse(status: response.status, body: response.body).mapError(
                        TokenFailure.classify
                    )
                }
                if let failure = outcome.failure {
                    span.attributes["mailgate.reason"] = failure.reason.rawValue
                    span.setStatus(SpanStatus(code: .error, message: failure.reason.rawValue))
                }
                return outcome
            }
            self.metrics.tokenRequest(provider: oauth.provider, failure: outcome.failure?.reason)
            var metadata: Logger.Metadata = [
                "server": "\(server.definition.name)", "tenant_id": "\(server.tenantID.uuidString.lowercased())",
                "provider": "\(oauth.provider?.rawValue ?? "generic")", "grant": "\(grant.name)",
                "duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ]
            switch outcome {
            case .success(let issued):
                metadata["expires_in"] = "\(issued.expiresIn.map(String.init) ?? "unknown")"
                self.logger.info("token request succeeded", metadata: metadata)
                return outcome
            case .failure(let failure):
                for (key, value) in failure.eventDetails { metadata[key] = "\(value)" }
                if case .refreshToken = grant, failure.deservesOneRetry, attempt == 1 {
                    self.logger.info("token request refused with invalid_grant; asking once more", metadata: metadata)
                    attempt += 1
                    try? await Task.sleep(for: self.settings.invalidGrantRetryDelay)
                    continue
                }
                self.logger.warning("token request failed", metadata: metadata)
                return outcome
            }
        }
    }

    private func stored(_ issued: IssuedToken, server: ServerRecord, previousRefreshToken: Secret?, now: Date) -> (
        TokenWrite, Result<AccessToken, TokenFailure>
    ) {
        let rotated = issued.refreshToken.map { $0 != previousRefreshToken && previousRefreshToken != nil } ?? false
        let token = AccessToken(
            issued: issued,
            now: now,
            requestedScopes: server.definition.oauth?.scopes ?? [],
            refreshTokenRotated: rotated
        )
        var events: [NewEvent] = []
        if let previous = server.tokenState.failureReason {
            events.append(
                NewEvent(
                    tenantID: server.tenantID,
                    kind: EventKind.oauthTokenRecovered,
                    serverID: server.id,
                    message:
                        "Server \(server.definition.name) obtains OAuth tokens again (after \(previous.rawValue)); waiting mail is sent.",
                    details: ["server": server.definition.name, "previous_reason": previous.rawValue]
                )
            )
        }
        if rotated {
            self.logger.info(
                "refresh token rotated; the new one is stored and the old one dropped",
                metadata: ["server": "\(server.definition.name)"]
            )
        }
        let write = NewAccessToken(
            accessToken: token.value,
            expiresAt: token.expiresAt,
            scopes: token.scopes,
            refreshToken: rotated ? issued.refreshToken : nil,
            events: events
        )
        return (.store(write), .success(token))
    }

    private func recorded(_ failure: TokenFailure, server: ServerRecord, now: Date) -> (
        TokenWrite, Result<AccessToken, TokenFailure>
    ) {
        var failure = failure
        let policy = TokenPolicy(settings: self.settings)
        let wait = policy.retryDelay(after: failure.reason, previousFailures: server.tokenState.failures)
        failure.retryAt = now.addingTimeInterval(wait.seconds)
        var events: [NewEvent] = []
        if policy.raisesEvent(for: failure.reason, previousFailures: server.tokenState.failures) {
            var details = failure.eventDetails
            details["server"] = server.definition.name
            details["remedy"] = failure.reason.remedy
            events.append(
                NewEvent(
                    tenantID: server.tenantID,
                    kind: EventKind.oauthTokenFailed,
                    severity: failure.reason.isTransient ? .warning : .error,
                    serverID: server.id,
                    message:
                        "Server \(server.definition.name) cannot obtain an OAuth token (\(failure.reason.rawValue)): \(failure.detail). Its mail waits. \(failure.reason.remedy)",
                    details: details
                )
            )
        }
        let record = TokenFailureRecord(
            reason: failure.reason,
            detail: failure.detail,
            retryAt: failure.retryAt!,
            clientSecretExpired: failure.reason == .clientSecretExpired,
            events: events
        )
        return (.failure(record), .failure(failure))
    }

    /// The cached token if it is set, readable, not `rejected`, and has more than the
    /// refresh margin left (or half its lifetime, for short-lived tokens).
    private func usableCachedToken(_ server: ServerRecord, rejecting rejected: Secret?) -> AccessToken? {
        guard let expiresAt = server.accessToken.expiresAt else { return nil }
        // Only a token worth using is opened.
        guard
            TokenPolicy(settings: self.settings)
                .isFreshEnough(expiresAt: expiresAt, setAt: server.accessToken.setAt, now: Date()),
            let token = try? server.openSecret(.accessToken, with: self.vault)
        else { return nil }
        if let rejected, token == rejected { return nil }
        return AccessToken(
            value: token,
            expiresAt: expiresAt,
            scopes: server.tokenState.scopes,
            refreshTokenRotated: false,
            cached: true
        )
    }

    /// The recorded failure while delivery is to wait for it.
    static func standingFailure(_ server: ServerRecord, now: Date) -> TokenFailure? {
        guard let reason = server.tokenState.failureReason, let retryAt = server.tokenState.retryAt, retryAt > now
        else { return nil }
        return TokenFailure(reason: reason, detail: server.tokenState.failureDetail, retryAt: retryAt)
    }

    /// Stops the HTTP threads.
    public func shutdown() async throws {
        try await self.http.shutdown()
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
