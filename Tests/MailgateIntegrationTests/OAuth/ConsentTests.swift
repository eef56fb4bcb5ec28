import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// "Get refresh token": consent through the provider and the ops port's /oauth/callback.
@Suite("OAuth: consent")
struct ConsentTests {
    static func withoutRefreshToken(_ arguments: [String] = [], _ body: (OAuthFixture) async throws -> Void)
        async throws
    {
        try await OAuthFixture.run(
            tokenArguments: arguments,
            flow: .authorizationCode,
            server: { request, _ in request.clearRefreshToken() },
            body
        )
    }

    @Test("consent through /oauth/callback stores the refresh token (PKCE checked by the provider) and mail goes out")
    func happyPath() async throws {
        try await Self.withoutRefreshToken { fixture in
            let begun = try await fixture.beginAuthorization()
            let query = Dictionary(
                uniqueKeysWithValues: (URLComponents(string: begun.authorizationURL)?.queryItems ?? []).map {
                    ($0.name, $0.value ?? "")
                }
            )
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["state"] == begun.state && begun.state.count >= 43)
            #expect(query["redirect_uri"] == "http://localhost:\(try await fixture.admin.opsPort())/oauth/callback")
            // The identity scopes make the reply name the account that signed in.
            #expect(query["scope"] == "https://outlook.office.com/SMTP.Send offline_access openid email profile")
            #expect(query["login_hint"] == OAuthFixture.sender)
            #expect(abs(begun.expiresAt.date.timeIntervalSinceNow - 600) < 30)

            let location = try fixture.tokens.consent(at: begun.authorizationURL)
            let (status, page) = try await fixture.followRedirect(location)
            #expect(status == 200)
            #expect(page.contains("Connected") && page.contains("close this window"))
            let server = try await fixture.server()
            #expect(server.refreshToken.isSet && server.accessToken.isSet)
            #expect(try await fixture.events(kind: "oauth_consent_completed").count == 1)
            #expect(fixture.leakedSecrets().isEmpty, "no code, token or secret is logged: \(fixture.leakedSecrets())")

            let id = try await fixture.send()
            _ = try await fixture.mail.waitFor(id, state: .sent)
            #expect(fixture.leakedSecrets().isEmpty, "\(fixture.leakedSecrets())")

            // The link works once.
            let (again, reused) = try await fixture.followRedirect(location)
            #expect(again == 400 && reused.contains("STATE_USED"))
            #expect(try await fixture.events(kind: "oauth_consent_failed").first?.details["reason"] == "STATE_USED")
        }
    }

    @Test("form_post: the provider posts the code and state as a form")
    func formPost() async throws {
        try await Self.withoutRefreshToken { fixture in
            let begun = try await fixture.beginAuthorization()
            let (status, _) = try await fixture.followRedirect(
                try fixture.tokens.consent(at: begun.authorizationURL),
                method: "POST"
            )
            #expect(status == 200)
            #expect(try await fixture.server().refreshToken.isSet)
        }
    }

    @Test("an operator pastes the code: CompleteAuthorization works for the key that began it, and only for it")
    func pastedCode() async throws {
        try await Self.withoutRefreshToken { fixture in
            let begun = try await fixture.beginAuthorization()
            let location = try fixture.tokens.consent(at: begun.authorizationURL)
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
            var complete = Mailgate_V1_CompleteAuthorizationRequest()
            complete.state = begun.state
            complete.code = code
            let other = fixture.admin.client(apiKey: try await fixture.admin.createOperatorKey())
            let mismatch = await expectRPCError { _ = try await other.completeAuthorization(complete) }
            #expect(mismatch?.code == .permissionDenied && mismatch?.reason == "STATE_MISMATCH")
            await other.close()
            let completed = try await fixture.admin.operatorClient.completeAuthorization(complete)
            #expect(completed.server.refreshToken.isSet)
            let reused = await expectRPCError {
                _ = try await fixture.admin.operatorClient.completeAuthorization(complete)
            }
            #expect(reused?.code == .failedPrecondition && reused?.reason == "STATE_USED")
        }
    }

    @Test("an expired state, an unknown state, and a code from another consent (wrong PKCE verifier) store nothing")
    func refusedStates() async throws {
        try await Self.withoutRefreshToken { fixture in
            let first = try await fixture.beginAuthorization()
            let second = try await fixture.beginAuthorization()
            let firstCode = try #require(
                URLComponents(string: try fixture.tokens.consent(at: first.authorizationURL))?.queryItems?.first {
                    $0.name == "code"
                }?.value
            )
            var swapped = Mailgate_V1_CompleteAuthorizationRequest()
            swapped.state = second.state
            swapped.code = firstCode
            let pkce = await expectRPCError {
                _ = try await fixture.admin.operatorClient.completeAuthorization(swapped)
            }
            #expect(pkce?.code == .failedPrecondition, "the provider refuses a code with another consent's verifier")
            #expect(pkce?.reason == "CONSENT_REQUIRED")
            let refusal = try await fixture.events(kind: "oauth_consent_failed").first
            #expect(
                refusal?.details["error_codes"] == "501481",
                "the fixture's PKCE check: \(String(describing: refusal))"
            )

            try await fixture.sql("UPDATE oauth_authorizations SET expires_at = now() - interval '1 minute'")
            let third = try await fixture.beginAuthorization()
            try await fixture.sql(
                "UPDATE oauth_authorizations SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL"
            )
            let (status, page) = try await fixture.followRedirect(
                try fixture.tokens.consent(at: third.authorizationURL)
            )
            #expect(status == 400 && page.contains("STATE_EXPIRED"))

            let unknown =
                "http://localhost:\(try await fixture.admin.opsPort())/oauth/callback?code=abc&state=never-issued"
            let (unknownStatus, unknownPage) = try await fixture.followRedirect(unknown)
            #expect(unknownStatus == 400 && unknownPage.contains("STATE_INVALID"))
            #expect(!(try await fixture.server().refreshToken.isSet))
            let reasons = try await fixture.events(kind: "oauth_consent_failed").compactMap { $0.details["reason"] }
            #expect(Set(reasons).isSuperset(of: ["STATE_EXPIRED"]))
        }
    }

    @Test("the person declines consent: the provider's error is shown, an event raised, nothing stored")
    func declined() async throws {
        try await Self.withoutRefreshToken(["--deny-consent"]) { fixture in
            let begun = try await fixture.beginAuthorization()
            let (status, page) = try await fixture.followRedirect(
                try fixture.tokens.consent(at: begun.authorizationURL)
            )
            #expect(status == 400 && page.contains("CONSENT_DENIED") && page.contains("access_denied"))
            #expect(!(try await fixture.server().refreshToken.isSet))
            #expect(try await fixture.events(kind: "oauth_consent_failed").first?.details["error"] == "access_denied")
        }
    }

    @Test(
        "consent given by another account than the server's mailbox stores nothing, says who signed in, and raises an event"
    )
    func otherAccount() async throws {
        try await Self.withoutRefreshToken(["--sign-in-as", "someone.else@contoso.com"]) { fixture in
            let begun = try await fixture.beginAuthorization()
            let (status, page) = try await fixture.followRedirect(
                try fixture.tokens.consent(at: begun.authorizationURL)
            )
            #expect(status == 400 && page.contains("ACCOUNT_MISMATCH"))
            #expect(page.contains("someone.else@contoso.com") && page.contains(OAuthFixture.sender))
            let server = try await fixture.server()
            #expect(!server.refreshToken.isSet && !server.accessToken.isSet)
            let event = try #require(try await fixture.events(kind: "oauth_consent_failed").first)
            #expect(event.details["reason"] == "ACCOUNT_MISMATCH")
            #expect(event.message.contains("someone.else@contoso.com"))
        }
    }

    @Test(
        "consent given by a delegate of the mailbox's own organisation (a shared mailbox) is stored, and the event says who gave it"
    )
    func delegate() async throws {
        try await Self.withoutRefreshToken(["--sign-in-as", "Delegate@acme.example"]) { fixture in
            let begun = try await fixture.beginAuthorization()
            let (status, _) = try await fixture.followRedirect(try fixture.tokens.consent(at: begun.authorizationURL))
            #expect(status == 200)
            #expect(try await fixture.server().refreshToken.isSet)
            let event = try #require(try await fixture.events(kind: "oauth_consent_completed").first)
            #expect(event.details["signed_in_as"] == "Delegate@acme.example")
            #expect(event.message.contains("as a delegate"))
        }
    }

    @Test("a token reply without a refresh token stores nothing and says how to fix it")
    func noRefreshToken() async throws {
        try await Self.withoutRefreshToken(["--no-refresh-token-on-code"]) { fixture in
            let begun = try await fixture.beginAuthorization()
            let (status, page) = try await fixture.followRedirect(
                try fixture.tokens.consent(at: begun.authorizationURL)
            )
            #expect(status == 400 && page.contains("NO_REFRESH_TOKEN"))
            let server = try await fixture.server()
            #expect(!server.refreshToken.isSet && !server.accessToken.isSet)
            #expect(
                try await fixture.events(kind: "oauth_consent_failed").first?.details["reason"] == "NO_REFRESH_TOKEN"
            )
        }
    }

    @Test("consent is refused for client-credentials servers and for redirect URIs a provider would refuse")
    func beginRefusals() async throws {
        try await OAuthFixture.run { fixture in
            let error = await expectRPCError { _ = try await fixture.beginAuthorization() }
            #expect(error?.code == .failedPrecondition && error?.reason == "CONSENT_NOT_NEEDED")
        }
        try await Self.withoutRefreshToken { fixture in
            var request = Mailgate_V1_BeginAuthorizationRequest()
            request.server = "m365"
            request.tenant = "acme"
            request.redirectUri = "http://evil.example/callback"
            let error = await expectRPCError { _ = try await fixture.admin.operatorClient.beginAuthorization(request) }
            #expect(error?.code == .invalidArgument && error?.fieldViolations.first?.field == "redirect_uri")
            let tenantKey = await expectRPCError { _ = try await fixture.beginAuthorization(client: fixture.client) }
            #expect(tenantKey?.code == .permissionDenied)
        }
    }
}
