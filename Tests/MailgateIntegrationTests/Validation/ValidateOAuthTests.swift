import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

@Suite("ValidateServer for OAuth servers and certificates")
struct ValidateOAuthTests {
    @Test("client credentials: a real token request, AUTH XOAUTH2 with it, and a test message that arrives")
    func oauthSuccess() async throws {
        try await OAuthFixture.run { fixture in
            let before = try fixture.tokens.tokenRequests()
            let result = try await fixture.client.validate("m365")
            #expect(result.ok, "\(result.outline)")
            let token = try result.check("token")
            #expect(
                token.outcome == .ok && token.detail.contains("microsoft issued an access token"),
                "\(token.detail)"
            )
            #expect(
                try fixture.tokens.tokenRequests() == before + 1,
                "the token check asked the provider, not the cache"
            )
            let auth = try result.check("auth")
            #expect(auth.outcome == .ok && auth.detail.contains("XOAUTH2"), "\(auth.detail)")
            #expect(try result.check("ehlo").detail.contains("XOAUTH2"))
            #expect(try fixture.mail.smtp.received().count == 1)
            #expect(
                fixture.leakedSecrets(in: result.checks.map(\.detail)).isEmpty,
                "\(fixture.leakedSecrets(in: result.checks.map(\.detail)))"
            )
        }
    }

    @Test("an expired client secret fails the token check with CLIENT_SECRET_EXPIRED; the connection is still checked")
    func tokenFailure() async throws {
        try await OAuthFixture.run(
            tokenArguments: ["--expired-secret", "\(OAuthFixture.clientID)=old-secret-value-that-expired"],
            server: { request, _ in request.clientSecret.value = "old-secret-value-that-expired" }
        ) { fixture in
            let result = try await fixture.client.validate("m365")
            let token = try result.check("token")
            #expect(
                !result.ok && token.outcome == .failed && token.reason == "CLIENT_SECRET_EXPIRED",
                "\(result.outline)"
            )
            #expect(token.remedy.contains("client secret"))
            #expect(
                try result.check("connect").outcome == .ok && result.check("tls").outcome == .ok
                    && result.check("ehlo").outcome == .ok
            )
            #expect(try result.check("auth").outcome == .skipped && result.check("test_message").outcome == .skipped)
            let events = try await fixture.events(kind: "server_validation_failed")
            #expect(
                events.first?.details["check"] == "token" && events.first?.details["reason"] == "CLIENT_SECRET_EXPIRED"
            )
            let texts = result.checks.map(\.detail) + events.map(\.message) + events.flatMap(\.details.values)
            #expect(fixture.leakedSecrets(["old-secret-value-that-expired"], in: texts).isEmpty)
        }
    }

    @Test("a token the SMTP server refuses (535 5.7.3 after an error challenge) names the missing Exchange permission")
    func tokenRefusedBySMTP() async throws {
        try await OAuthFixture.run(smtpIntrospection: false) { fixture in
            let result = try await fixture.client.validate("m365")
            #expect(try result.check("token").outcome == .ok)
            let auth = try result.check("auth")
            #expect(auth.outcome == .failed && auth.reason == "OAUTH_SEND_NOT_PERMITTED", "\(result.outline)")
            #expect(auth.remedy.contains("SMTP.SendAsApp"))
        }
    }

    @Test("a certificate that expires within 14 days is a warning, not a failure")
    func certificateExpiresSoon() async throws {
        try await MailFixture.run(tlsMode: "starttls", expiringCertificate: true) { fixture in
            let result = try await fixture.client.validate("relay", testMessage: false)
            let tls = try result.check("tls")
            #expect(
                result.ok && tls.outcome == .warning && tls.reason == "CERTIFICATE_EXPIRES_SOON",
                "\(result.outline)"
            )
            #expect(tls.detail.contains("(4 days)") || tls.detail.contains("(5 days)"), "\(tls.detail)")
        }
    }
}
