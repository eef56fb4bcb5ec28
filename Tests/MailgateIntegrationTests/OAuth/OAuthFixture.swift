import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// A running Mailgate whose tenant `acme` has an OAuth server `m365` that gets tokens
/// from a token endpoint fixture and sends through an aiosmtpd server accepting XOAUTH2
/// only for tokens that fixture issued and that have not expired.
struct OAuthFixture: Sendable {
    static let clientID = "11111111-2222-3333-4444-555555555555"
    static let clientSecret = "cs~Zq8Q~realistic-secret-value-0123456789"
    static let initialRefreshToken = "rt-initial-consent-0123456789abcdefghij"
    static let sender = "billing@acme.example"

    let mail: MailFixture
    let tokens: TokenTestServer
    let logs: LogCapture

    var client: MailgateClient { self.mail.client }
    var admin: AdminFixture { self.mail.admin }

    /// Token settings that make backoffs short enough for tests.
    static let tokenSettings = TokenSettings(
        invalidGrantRetryDelay: .milliseconds(100),
        initialBackoff: .seconds(1),
        maximumBackoff: .seconds(2),
        retryAfterOperatorFailure: .seconds(2)
    )

    /// `tokenArguments` go to token_server.py (the app `clientID` with `clientSecret` is
    /// registered, and `initialRefreshToken` issued); `server` adjusts the put of `m365`.
    static func run<Result: Sendable>(
        tokenArguments: [String] = [],
        smtpIntrospection: Bool = true,
        workers: Int = 2,
        claimBatch: Int = 32,
        giveUpAfter: Duration = .seconds(60),
        expirySystemServer: String? = nil,
        flow: Mailgate_V1_OAuthFlow = .clientCredentials,
        database: TestDatabase? = nil,
        server customize: @escaping @Sendable (inout Mailgate_V1_PutServerRequest, TokenTestServer) -> Void = { _, _ in
        },
        _ body: (OAuthFixture) async throws -> Result
    ) async throws -> Result {
        let arguments =
            ["--client", "\(clientID)=\(clientSecret)", "--refresh-token", initialRefreshToken] + tokenArguments
        SecretScan.register(clientSecret, initialRefreshToken)
        let tokens = try await offCooperativePool { try TokenTestServer(arguments: arguments) }
        let logs = LogCapture()
        defer { logs.finish() }
        return try await MailFixture.run(
            // Without introspection the SMTP server refuses every token, as Exchange does with SMTP AUTH disabled.
            smtpArguments: ["--user", sender, "--password", "unused"]
                + (smtpIntrospection ? ["--introspect", tokens.introspectURL] : []),
            tlsMode: "starttls",
            workers: workers,
            claimBatch: claimBatch,
            giveUpAfter: giveUpAfter,
            database: database,
            logger: logs.logger(level: .debug),
            tokens: tokenSettings,
            ops: OpsConfiguration(port: 0),
            // Graph is the token fixture too; tests scan with their own clock.
            expiry: ExpirySettings(interval: nil, systemServer: expirySystemServer, graphBaseURL: tokens.baseURL),
            server: { request in
                request.name = "m365"
                request.senderAddress = sender
                request.authType = .oauth2
                request.username = sender
                request.oauth.provider = .microsoft
                request.oauth.flow = flow
                request.oauth.clientID = clientID
                request.oauth.directoryID = TokenTestServer.directory
                request.oauth.tokenURL = tokens.microsoftTokenURL
                request.oauth.authorizationURL = tokens.microsoftAuthorizationURL
                request.clientSecret.value = clientSecret
                if flow == .authorizationCode { request.refreshToken.value = initialRefreshToken }
                // Exchange's preset limits (30 a minute, 3 connections) would make tests slow.
                request.rateLimitPerMinute = 100_000
                request.maxConnections = 16
                customize(&request, tokens)
            }
        ) { mail in
            try await body(OAuthFixture(mail: mail, tokens: tokens, logs: logs))
        }
    }

    func send(_ subject: String = "Invoice 42") async throws -> String {
        var request = MailFixture.message(subject: subject)
        request.server = "m365"
        return try await self.client.sendMail(request).messageID
    }

    func refreshToken() async throws(RPCError) -> Mailgate_V1_RefreshTokenResponse {
        var request = Mailgate_V1_RefreshTokenRequest()
        request.server = "m365"
        return try await self.client.refreshToken(request)
    }

    func server() async throws -> Mailgate_V1_OutputServer {
        var request = Mailgate_V1_GetServerRequest()
        request.server = "m365"
        return try await self.client.getServer(request)
    }

    /// Puts `m365` again as it is, changed by `change` (a new secret, an expiry date, …).
    @discardableResult
    func reput(_ change: (inout Mailgate_V1_PutServerRequest) -> Void) async throws -> Mailgate_V1_OutputServer {
        try await self.mail.reput("m365", change)
    }

    /// The tenant's events of `kind`, newest first.
    func events(kind: String) async throws -> [Mailgate_V1_Event] {
        try await self.mail.events(kind: kind)
    }

    /// Runs SQL against the fixture's database (to age tokens, read stored columns).
    func sql(_ query: PostgresQuery) async throws {
        _ = try await self.admin.database.withClient { postgres in
            try await postgres.query(query, logger: Logger(label: "test"))
        }
    }

    /// Begins a consent for `m365` with the operator key.
    func beginAuthorization(client: MailgateClient? = nil) async throws -> Mailgate_V1_BeginAuthorizationResponse {
        var request = Mailgate_V1_BeginAuthorizationRequest()
        request.server = "m365"
        request.tenant = "acme"
        return try await (client ?? self.admin.operatorClient).beginAuthorization(request)
    }

    /// Sends the browser's redirect (a URL on the ops port) there: status and page.
    func followRedirect(_ location: String, method: String = "GET") async throws -> (status: Int, page: String) {
        let url = try #require(URLComponents(string: location))
        let port = try await self.admin.opsPort()
        #expect(url.port == port && url.path == "/oauth/callback", "redirected to \(location)")
        let (status, _, body) = try await offCooperativePool {
            method == "GET"
                ? try RawHTTP.request(
                    "GET",
                    host: "127.0.0.1",
                    port: port,
                    path: url.path + "?" + (url.percentEncodedQuery ?? "")
                )
                : try RawHTTP.request(
                    "POST",
                    host: "127.0.0.1",
                    port: port,
                    path: url.path,
                    headers: ["Content-Type": "application/x-www-form-urlencoded"],
                    body: Data((url.percentEncodedQuery ?? "").utf8)
                )
        }
        return (status, String(decoding: body, as: UTF8.self))
    }

    /// Lines of the captured logs, and of `texts` (events, errors, replies), that carry
    /// anything the token fixture issued, the client secret, or any of `secrets`.
    func leakedSecrets(_ secrets: [String] = [], in texts: [String] = []) -> [String] {
        let lines = self.logs.text.split(separator: "\n").map(String.init) + texts
        let known = [Self.clientSecret, Self.initialRefreshToken] + secrets
        return lines.filter { line in
            known.contains { line.contains($0) }
                || line.range(of: #"\b(at|rt|code)-[A-Za-z0-9_-]{20,}"#, options: .regularExpression) != nil
        }
    }
}
