import Foundation
import MailgateCore
import MailgateMail
import MailgateStore
import NIOPosix

/// One validation of one server: each check in turn, each within its own time limit
/// and the call's deadline. A check that cannot run says why (skipped), never hangs.
struct ValidationRun {
    let validator: ServerValidator
    let server: ServerRecord
    let tenant: TenantReference
    let request: ServerValidator.Request
    let clock: ValidationClock
    /// The server is a draft, not stored: the token is asked without storing it, and the
    /// test message is sent without a queue row.
    var isDraft = false
    /// A draft's stored server, when the draft takes its token as that server does.
    var tokenSource: ServerRecord?
    /// Told the checks done so far after each step.
    var progress: (@Sendable ([ServerCheck]) -> Void)?

    /// Per-check limits, before the deadline cuts them.
    static let resolveLimit: Duration = .seconds(10)
    static let tokenLimit: Duration = .seconds(30)
    static let connectLimit: Duration = .seconds(10)
    static let responseLimit: Duration = .seconds(10)
    static let sessionLimit: Duration = .seconds(30)
    static let testMessageLimit: Duration = .seconds(30)
    static let databaseLimit: Duration = .seconds(5)
    /// A worker that has not beaten within this long is not running.
    static let heartbeatFreshness: Duration = .seconds(60)
    /// Mail due longer than this makes a backlog worth a warning.
    static let backlogWarningAge: TimeInterval = 300

    private var definition: ServerDefinition { self.server.definition }

    func run() async -> ServerValidator.Report {
        var checks: [ServerCheck] = [] {
            didSet { self.progress?(checks) }
        }
        let dns = await self.resolve()
        checks.append(dns)
        let (tokenCheck, token) = await self.token()
        self.progress?(checks + [tokenCheck])
        if dns.outcome == .failed {
            checks += [ServerCheck.Name.connect, .tls, .ehlo].map {
                ServerCheck($0, .skipped, detail: "not reached: the host name did not resolve")
            }
        } else {
            let probeChecks = await self.probe(accessToken: token)
            checks += probeChecks.filter { $0.name != .auth }
            checks.append(tokenCheck)
            checks += probeChecks.filter { $0.name == .auth }
        }
        if dns.outcome == .failed {
            checks.append(tokenCheck)
            checks.append(ServerCheck(.auth, .skipped, detail: "not reached: the host name did not resolve"))
        }
        var testMessageID: UUID?
        if !self.request.sendTestMessage {
            checks.append(ServerCheck(.testMessage, .skipped, detail: "not requested"))
        } else if let failure = checks.firstFailure {
            checks.append(
                ServerCheck(.testMessage, .skipped, detail: "not sent: the \(failure.name.rawValue) check failed")
            )
        } else {
            let (check, id) = await TestMessage(run: self, accessToken: token).send()
            checks.append(check)
            testMessageID = id
        }
        let (backlogCheck, backlog) = await self.backlog()
        checks.append(backlogCheck)
        let (workersCheck, workers) = await self.workers()
        checks.append(workersCheck)
        return ServerValidator.Report(
            checks: checks,
            testMessageID: testMessageID,
            backlog: backlog,
            deliveryWorkers: workers
        )
    }

    // MARK: dns

    private func resolve() async -> ServerCheck {
        let host = self.definition.host
        let destinations = self.validator.settings.destinations
        if case .domain = HostName(host) {
        } else if let refusal = destinations.refusal(ofHost: host) {
            return .failed(.dns, .destinationNotAllowed, detail: refusal.description)
        } else {
            return ServerCheck(.dns, .ok, detail: "\(host) is an IP address: nothing to resolve")
        }
        guard let limit = self.clock.budget(Self.resolveLimit) else {
            return .failed(.dns, .notEnoughTime, detail: "no time left")
        }
        let started = ContinuousClock.now
        let port = self.port
        let outcome = await withTimeLimit(limit) { [threads = self.validator.threads] in
            (try? await threads.runIfActive { HostResolver.resolve(host, port: port) })
                ?? .failure(HostResolver.ResolutionError(message: "the resolver is shutting down"))
        }
        let took = Self.milliseconds(since: started)
        switch outcome {
        case .none:
            return .failed(
                .dns,
                .resolverTimedOut,
                detail: "\(host) did not resolve within \(Int(limit.seconds)) s",
                durationMilliseconds: took
            )
        case .some(.failure(let error)):
            return .failed(.dns, .hostNotFound, detail: "\(host): \(error.message)", durationMilliseconds: took)
        case .some(.success(let addresses)):
            // Delivery skips the addresses the policy refuses; with none left it cannot connect.
            // Refused addresses are not shown: they would map the inside of the network.
            let refused = addresses.filter { IPAddress($0).flatMap(destinations.refusal(of:)) != nil }
            let usable = addresses.filter { !refused.contains($0) }
            if usable.isEmpty, let first = refused.first.flatMap(IPAddress.init),
                let refusal = destinations.refusal(of: first)
            {
                return .failed(
                    .dns,
                    .destinationNotAllowed,
                    detail: "\(host) resolves only to addresses Mailgate does not connect to: \(refusal.description)",
                    durationMilliseconds: took
                )
            }
            let skipped = refused.isEmpty ? "" : " (and \(refused.count) non-public, not used)"
            return ServerCheck(
                .dns,
                .ok,
                detail: "\(host) → \(usable.joined(separator: ", "))\(skipped)",
                durationMilliseconds: took
            )
        }
    }

    // MARK: token

    /// For OAuth servers, a real token request (not the cache): the check, and the token for AUTH.
    private func token() async -> (ServerCheck, Secret?) {
        guard self.definition.authType == .oauth2 else {
            return (ServerCheck(.token, .skipped, detail: "the server does not use OAuth"), nil)
        }
        guard let limit = self.clock.budget(Self.tokenLimit) else {
            return (.failed(.token, .notEnoughTime, detail: "no time left"), nil)
        }
        let started = ContinuousClock.now
        let server = self.server
        let trial = self.isDraft && self.tokenSource == nil
        let outcome = await withTimeLimit(limit) {
            [tokens = self.validator.tokens, source = self.tokenSource ?? server, isDraft = self.isDraft] in
            if trial { return Result<AccessToken, TokenFailure>?.some(await tokens.trialToken(for: server)) }
            do {
                // A stored server's check asks anew; a draft on its stored server's token uses
                // the cached one while valid (asking would rotate the refresh token for nothing).
                return Result<AccessToken, TokenFailure>?.some(
                    try await tokens.token(for: source, freshness: isDraft ? .cachedIfValid : .forced)
                )
            } catch {
                return nil
            }
        }
        let took = Self.milliseconds(since: started)
        switch outcome {
        case .none:
            let failure = TokenFailure(reason: .endpointUnavailable, detail: "no answer within \(Int(limit.seconds)) s")
            return (Self.tokenFailed(failure, took: took), nil)
        case .some(.none):
            return (
                ServerCheck(
                    .token,
                    .failed,
                    detail: "the token could not be stored: the database is unavailable",
                    durationMilliseconds: took,
                    reason: "DATABASE_UNAVAILABLE",
                    remedy: "Retry once the database is reachable."
                ), nil
            )
        case .some(.some(.failure(let failure))):
            return (Self.tokenFailed(failure, took: took), nil)
        case .some(.some(.success(let token))):
            let provider = self.definition.oauth?.provider?.rawValue ?? "oauth"
            let minutes = Int(token.expiresAt.timeIntervalSinceNow / 60)
            var detail = "\(provider) issued an access token valid for \(minutes) min"
            if !token.scopes.isEmpty { detail += "; scopes \(token.scopes.joined(separator: " "))" }
            if token.refreshTokenRotated {
                detail +=
                    trial
                    ? "; the provider rotated the refresh token, which a draft does not store"
                    : "; the rotated refresh token was stored"
            }
            return (ServerCheck(.token, .ok, detail: detail, durationMilliseconds: took), token.value)
        }
    }

    private static func tokenFailed(_ failure: TokenFailure, took: Int) -> ServerCheck {
        ServerCheck(
            .token,
            .failed,
            detail: failure.detail,
            durationMilliseconds: took,
            reason: failure.reason.rawValue,
            remedy: failure.reason.remedy
        )
    }

    // MARK: connect, tls, ehlo, auth

    private func probe(accessToken: Secret?) async -> [ServerCheck] {
        /// The first check as given, the rest of the session's checks not reached.
        func stopped(_ first: ServerCheck) -> [ServerCheck] {
            [first] + [ServerCheck.Name.tls, .ehlo, .auth].map { ServerCheck($0, .skipped, detail: "not reached") }
        }
        guard let limit = self.clock.budget(Self.sessionLimit) else {
            return stopped(.failed(.connect, .notEnoughTime, detail: "no time left"))
        }
        let validator = self.validator
        var endpoint: SMTPEndpoint
        var missingCredentials: ProbeVerdict.MissingCredentials?
        do {
            endpoint = try self.server.smtpEndpoint(
                vault: validator.vault,
                accessToken: accessToken,
                caFile: validator.settings.caFile,
                destinations: validator.settings.destinations,
                timeout: limit
            )
        } catch {
            // Still check the connection, anonymously; the auth check says what is missing.
            missingCredentials =
                self.definition.authType == .oauth2 && accessToken == nil ? .accessToken : .other(error.reason)
            do {
                endpoint = try self.server.smtpEndpoint(
                    vault: validator.vault,
                    accessToken: nil,
                    caFile: validator.settings.caFile,
                    destinations: validator.settings.destinations,
                    timeout: limit,
                    withoutCredentials: true
                )
            } catch {
                return stopped(
                    ServerCheck(
                        .connect,
                        .failed,
                        detail: error.reason,
                        reason: "SERVER_MISCONFIGURED",
                        remedy: "Fix the server's settings with `mailgate server put`."
                    )
                )
            }
        }
        endpoint.connectTimeout = min(Self.connectLimit, limit)
        // libcurl stops itself just before the wait does.
        endpoint.totalTimeout = max(.milliseconds(100), limit - .milliseconds(300))
        let responseTimeout = min(Self.responseLimit, endpoint.totalTimeout)
        let outcome = await withTimeLimit(limit) { [threads = self.validator.threads, endpoint] in
            do {
                return Result<SMTPProbeReport, any Error>.success(
                    try await threads.runIfActive { SMTPProbe.run(endpoint, responseTimeout: responseTimeout) }
                )
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .some(.success(let report)):
            return ProbeVerdict(
                report: report,
                security: endpoint.security,
                authType: self.definition.authType ?? .none,
                missingCredentials: missingCredentials,
                username: self.username,
                responseTimeout: responseTimeout,
                now: Date()
            ).checks
        case .some(.failure):
            return stopped(.failed(.connect, .stopping, detail: "not checked: Mailgate is shutting down"))
        case .none:
            return stopped(
                .failed(
                    .connect,
                    .connectionTimedOut,
                    detail: "the session did not finish within \(Int(limit.seconds)) s"
                )
            )
        }
    }

    var username: String {
        self.definition.username.isEmpty ? self.definition.senderAddress : self.definition.username
    }

    var port: Int {
        self.definition.port != 0 ? self.definition.port : (self.definition.security ?? .starttls).defaultPort
    }

    // MARK: backlog, workers

    private func backlog() async -> (ServerCheck, ValidationRepository.Backlog) {
        let empty = ValidationRepository.Backlog.empty
        let started = ContinuousClock.now
        let (validations, tenantID, serverID) = (self.validator.validations, self.server.tenantID, self.server.id)
        let read = await withTimeLimit(self.clock.budget(Self.databaseLimit) ?? .milliseconds(100)) {
            try? await validations.backlog(tenantID: tenantID, serverID: serverID)
        }
        guard let backlog = read.flatMap({ $0 }) else {
            return (ServerCheck(.backlog, .skipped, detail: "the queue could not be read in time"), empty)
        }
        let took = Self.milliseconds(since: started)
        guard backlog.waiting > 0 else {
            return (ServerCheck(.backlog, .ok, detail: "no mail waiting", durationMilliseconds: took), backlog)
        }
        let age = backlog.oldestDueSince.map { max(0, Date().timeIntervalSince($0)) } ?? 0
        let detail =
            "\(backlog.waiting) message\(backlog.waiting == 1 ? "" : "s") waiting, \(backlog.due) due now"
            + (backlog.due > 0 ? ", the oldest for \(Self.describe(age))" : "")
        if age > Self.backlogWarningAge {
            return (.warning(.backlog, .backlog, detail: detail, durationMilliseconds: took), backlog)
        }
        return (ServerCheck(.backlog, .ok, detail: detail, durationMilliseconds: took), backlog)
    }

    private func workers() async -> (ServerCheck, Int) {
        let started = ContinuousClock.now
        let validations = self.validator.validations
        let read = await withTimeLimit(self.clock.budget(Self.databaseLimit) ?? .milliseconds(100)) {
            try? await validations.deliveryWorkers(freshness: Self.heartbeatFreshness)
        }
        guard let (replicas, workers) = read.flatMap({ $0 }) else {
            return (ServerCheck(.workers, .skipped, detail: "the heartbeats could not be read in time"), 0)
        }
        let took = Self.milliseconds(since: started)
        guard workers > 0 else {
            let detail =
                "no delivery worker has sent a heartbeat in the last minute (\(replicas) replica\(replicas == 1 ? "" : "s") serving RPCs only): mail will not be delivered until a worker runs"
            return (.warning(.workers, .noWorker, detail: detail, durationMilliseconds: took), 0)
        }
        return (
            ServerCheck(
                .workers,
                .ok,
                detail:
                    "\(workers) delivery worker\(workers == 1 ? "" : "s") on \(replicas) replica\(replicas == 1 ? "" : "s")",
                durationMilliseconds: took
            ), workers
        )
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start).milliseconds)
    }

    static func describe(_ seconds: TimeInterval) -> String {
        seconds < 120 ? "\(Int(seconds)) s" : seconds < 7200 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3600)) h"
    }
}
