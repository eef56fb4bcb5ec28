import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import SwiftProtobuf
import Testing

/// Every class of token endpoint failure reaches RefreshToken callers as its reason,
/// raises an event with the provider's details (never a secret), and defers mail.
@Suite("OAuth: token failures")
struct TokenErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var tokenArguments: [String] = []
        var flow: Mailgate_V1_OAuthFlow = .clientCredentials
        var adjust: @Sendable (inout Mailgate_V1_PutServerRequest) -> Void = { _ in }
        var reason: String
        var providerCode: String? = nil
        /// Token requests one RefreshToken call makes.
        var requests = 1
        /// A secret this case stores, which must show up nowhere.
        var secret: String? = nil
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "an expired client secret (AADSTS7000222)",
            tokenArguments: ["--expired-secret", "\(OAuthFixture.clientID)=old-secret-value-that-expired"],
            adjust: { $0.clientSecret.value = "old-secret-value-that-expired" },
            reason: "CLIENT_SECRET_EXPIRED",
            providerCode: "7000222",
            secret: "old-secret-value-that-expired"
        ),
        Case(
            name: "a wrong client secret (AADSTS7000215)",
            adjust: { $0.clientSecret.value = "not-the-secret-at-all" },
            reason: "CLIENT_SECRET_INVALID",
            providerCode: "7000215",
            secret: "not-the-secret-at-all"
        ),
        Case(
            name: "an unknown client id (AADSTS700016)",
            adjust: { $0.oauth.clientID = "99999999-0000-0000-0000-000000000000" },
            reason: "CLIENT_ID_UNKNOWN",
            providerCode: "700016"
        ),
        Case(
            name: "an unknown directory (AADSTS90002)",
            adjust: { $0.oauth.directoryID = "no-such-directory" },
            reason: "DIRECTORY_NOT_FOUND",
            providerCode: "90002"
        ),
        Case(
            name: "a revoked refresh token (invalid_grant twice)",
            flow: .authorizationCode,
            adjust: { $0.refreshToken.value = "rt-revoked-long-ago-0000000000000000" },
            reason: "CONSENT_REQUIRED",
            providerCode: "70008",
            requests: 2,
            secret: "rt-revoked-long-ago-0000000000000000"
        ),
        Case(
            name: "a scope client credentials cannot use",
            adjust: { $0.oauth.scopes = ["https://outlook.office.com/SMTP.Send"] },
            reason: "SCOPE_INVALID",
            providerCode: "1002012"
        ),
    ]

    @Test(
        "each failure class gives its reason, an event with the provider's details, and deferred mail",
        arguments: cases
    )
    func failureClass(_ testCase: Case) async throws {
        let adjust = testCase.adjust
        try await OAuthFixture.run(
            tokenArguments: testCase.tokenArguments,
            flow: testCase.flow,
            server: { request, _ in adjust(&request) }
        ) { fixture in
            let error = await #expect(throws: RPCError.self) { try await fixture.refreshToken() }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.reason == testCase.reason, "\(String(describing: error))")
            #expect(try fixture.tokens.tokenRequests() == testCase.requests)

            let events = try await fixture.events(kind: "oauth_token_failed")
            let event = try #require(events.first)
            #expect(event.severity == .error)
            #expect(event.details["reason"] == testCase.reason)
            if let code = testCase.providerCode {
                #expect(event.details["error_codes"] == code)
                #expect(event.details["provider_trace_id"]?.isEmpty == false)
                #expect(event.details["correlation_id"]?.isEmpty == false)
            }

            // Mail waits for the operator: queued, with the reason, not failed.
            let id = try await fixture.send()
            let waiting = try await eventually(limit: .seconds(10)) {
                let message = try await fixture.mail.get(id)
                return message.lastError.contains(testCase.reason) && message.state != .sending ? message : nil
            }
            #expect(waiting.state == .queued)
            let server = try await fixture.server()
            #expect(server.tokenFailureReason == testCase.reason)
            if testCase.reason == "CLIENT_SECRET_EXPIRED" {
                #expect(server.clientSecret.expiresAt.date <= Date())
                #expect(server.clientSecret.expirySource == .provider)
            }
            // Nothing secret in the logs, the event, the status, the message's error or the server.
            let texts =
                [event.message] + event.details.values + [error.map { "\($0)" } ?? "", waiting.lastError, "\(server)"]
            let leaks = fixture.leakedSecrets(testCase.secret.map { [$0] } ?? [], in: texts)
            #expect(leaks.isEmpty, "\(leaks)")
        }
    }

    @Test("mail waiting for an operator to fix OAuth is not failed when retries run out")
    func waitsPastGiveUp() async throws {
        try await OAuthFixture.run(
            giveUpAfter: .seconds(1),
            server: { request, _ in request.clientSecret.value = "not-the-secret-at-all" }
        ) { fixture in
            let id = try await fixture.send()
            // Generous: the whole suite runs beside it on a small machine.
            let waiting = try await eventually(limit: .seconds(30)) {
                let message = try await fixture.mail.get(id)
                return message.attempts >= 2 && message.state != .sending ? message : nil
            }
            #expect(waiting.state == .queued, "\(waiting.lastError)")
            #expect(waiting.lastError.contains("CLIENT_SECRET_INVALID"))
        }
    }

    @Test("invalid_grant once is retried and succeeds without asking for consent")
    func transientInvalidGrant() async throws {
        try await OAuthFixture.run(flow: .authorizationCode) { fixture in
            try fixture.tokens.fail("invalid_grant", count: 1)
            let refreshed = try await fixture.refreshToken()
            #expect(refreshed.refreshTokenRotated)
            #expect(try fixture.tokens.tokenRequests() == 2)
            #expect(try await fixture.events(kind: "oauth_token_failed").isEmpty)
        }
    }

    @Test("HTTP 5xx and an unreachable endpoint are UNAVAILABLE with a retry time")
    func transientFailures() async throws {
        try await OAuthFixture.run { fixture in
            try fixture.tokens.fail("server_error", count: 1)
            let error = await #expect(throws: RPCError.self) { try await fixture.refreshToken() }
            #expect(error?.code == .unavailable)
            #expect(error?.reason == "TOKEN_ENDPOINT_UNAVAILABLE")
            #expect((error?.retryAfterMilliseconds ?? 0) > 0)
            #expect(try await fixture.events(kind: "oauth_token_failed").first?.severity == .warning)
            // The endpoint answers again: a forced refresh goes through at once.
            _ = try await fixture.refreshToken()
            #expect(try await fixture.events(kind: "oauth_token_recovered").count == 1)
        }
        try await OAuthFixture.run(server: { request, _ in request.oauth.tokenURL = "http://127.0.0.1:1/token" }) {
            fixture in
            let error = await #expect(throws: RPCError.self) { try await fixture.refreshToken() }
            #expect(error?.code == .unavailable)
            #expect(error?.reason == "TOKEN_ENDPOINT_UNAVAILABLE")
        }
    }

    @Test(
        "RefreshToken on a server without OAuth is FAILED_PRECONDITION NOT_OAUTH; a missing refresh token asks for consent"
    )
    func notOAuth() async throws {
        try await MailFixture.run { fixture in
            var request = Mailgate_V1_RefreshTokenRequest()
            request.server = "relay"
            let error = await #expect(throws: RPCError.self) { try await fixture.client.refreshToken(request) }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.reason == "NOT_OAUTH")
        }
        try await OAuthFixture.run(flow: .authorizationCode, server: { request, _ in request.clearRefreshToken() }) {
            fixture in
            let error = await #expect(throws: RPCError.self) { try await fixture.refreshToken() }
            #expect(error?.reason == "CONSENT_REQUIRED")
            #expect(error?.message.contains("mailgate server authorize m365") == true, "\(String(describing: error))")
            let requests = try fixture.tokens.tokenRequests()
            #expect(requests == 0)
        }
    }

    @Test("new credentials clear a standing failure: mail goes out without waiting for the retry time")
    func newCredentialsRetryAtOnce() async throws {
        try await OAuthFixture.run(server: { request, _ in request.clientSecret.value = "not-the-secret-at-all" }) {
            fixture in
            _ = await #expect(throws: RPCError.self) { try await fixture.refreshToken() }
            try await fixture.reput { $0.clientSecret.value = OAuthFixture.clientSecret }
            #expect(try await fixture.server().tokenFailureReason == "")
            let id = try await fixture.send()
            _ = try await fixture.mail.waitFor(id, state: .sent)
        }
    }
}
