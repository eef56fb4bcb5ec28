import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// OAuth servers send with XOAUTH2 using tokens from a real HTTP token endpoint.
@Suite("OAuth: tokens and XOAUTH2 delivery")
struct TokenDeliveryTests {
    @Test("client credentials: mail goes out with XOAUTH2 and the cached token serves later mail without a new request")
    func clientCredentials() async throws {
        try await OAuthFixture.run { fixture in
            let first = try await fixture.send("first")
            _ = try await fixture.mail.waitFor(first, state: .sent)
            let second = try await fixture.send("second")
            _ = try await fixture.mail.waitFor(second, state: .sent)
            let received = try fixture.mail.smtp.received()
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.envelope["auth"] as? Bool == true })
            #expect(try fixture.tokens.tokenRequests() == 1)
            let stats = try fixture.tokens.stats()
            #expect((stats["by_grant"] as? [String: Int])?["client_credentials"] == 1)
            let server = try await fixture.server()
            #expect(server.accessToken.isSet)
            #expect(server.grantedScopes == ["https://outlook.office365.com/.default"])
            #expect(server.accessToken.expiresAt.date.timeIntervalSinceNow > 3000)
            #expect(fixture.leakedSecrets().isEmpty, "\(fixture.leakedSecrets())")
        }
    }

    @Test(
        "authorization code: the rotated refresh token is stored, the old one is refused by the provider, and sending still works"
    )
    func rotation() async throws {
        try await OAuthFixture.run(flow: .authorizationCode) { fixture in
            let before = try await fixture.server()
            let first = try await fixture.send("first")
            _ = try await fixture.mail.waitFor(first, state: .sent)
            #expect(try fixture.tokens.stats()["rotations"] as? Int == 1)
            let after = try await fixture.server()
            #expect(after.refreshToken.setAt.date > before.refreshToken.setAt.date, "the new refresh token was stored")

            // A forced refresh uses the stored (rotated) token: the initial one would be refused now.
            let refreshed = try await fixture.refreshToken()
            #expect(refreshed.refreshTokenRotated)
            #expect(refreshed.provider == .microsoft && refreshed.flow == .authorizationCode)
            #expect(try fixture.tokens.stats()["rotations"] as? Int == 2)
            let (status, _, body) = try RawHTTP.request(
                "POST",
                host: "127.0.0.1",
                port: fixture.tokens.port,
                path: "/\(TokenTestServer.directory)/oauth2/v2.0/token",
                headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: Data(
                    "grant_type=refresh_token&client_id=\(OAuthFixture.clientID)&client_secret=\(FormEncoding.percentEncode(OAuthFixture.clientSecret))&refresh_token=\(OAuthFixture.initialRefreshToken)"
                        .utf8
                )
            )
            #expect(
                status == 400 && String(decoding: body, as: UTF8.self).contains("invalid_grant"),
                "the old refresh token is dead"
            )

            // Expire the cached token: the next message refreshes with the newest refresh token.
            try await fixture.sql("UPDATE output_servers SET access_token_expires_at = now() - interval '1 minute'")
            let second = try await fixture.send("second")
            _ = try await fixture.mail.waitFor(second, state: .sent)
            #expect(try fixture.tokens.stats()["rotations"] as? Int == 3)
            #expect(fixture.leakedSecrets().isEmpty, "\(fixture.leakedSecrets())")
        }
    }

    @Test("a token within ten minutes of expiry is refreshed before sending, not used")
    func refreshMargin() async throws {
        try await OAuthFixture.run { fixture in
            _ = try await fixture.refreshToken()
            #expect(try fixture.tokens.tokenRequests() == 1)
            // Issued 51 minutes ago for an hour: 9 minutes left.
            try await fixture.sql(
                "UPDATE output_servers SET access_token_set_at = now() - interval '51 minutes', access_token_expires_at = now() + interval '9 minutes'"
            )
            let id = try await fixture.send()
            _ = try await fixture.mail.waitFor(id, state: .sent)
            #expect(try fixture.tokens.tokenRequests() == 2)
        }
    }

    @Test("50 concurrent sends across two replicas with an expired cached token cause exactly one token request")
    func singleFlightAcrossReplicas() async throws {
        // Small claims: one replica's workers, all waiting for the token, cannot take every message.
        try await OAuthFixture.run(tokenArguments: ["--delay-ms", "400"], workers: 4, claimBatch: 4) { fixture in
            _ = try await fixture.refreshToken()
            try await fixture.sql("UPDATE output_servers SET access_token_expires_at = now() - interval '1 minute'")
            let before = try fixture.tokens.tokenRequests()
            try await AdminFixture.run(
                mailer: MailFixture.settings(caFile: fixture.mail.caFile, workers: 4, claimBatch: 4),
                tokens: OAuthFixture.tokenSettings,
                database: fixture.admin.database
            ) { second in
                let secondClient = second.client(apiKey: try await second.createTenantKey("acme"))
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            var request = MailFixture.message(subject: "concurrent \(index)")
                            request.server = "m365"
                            let client = index.isMultiple(of: 2) ? fixture.client : secondClient
                            return try await client.sendMail(request).messageID
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for id in ids { _ = try await fixture.mail.waitFor(id, state: .sent, limit: .seconds(60)) }
                await secondClient.close()
            }
            #expect(try fixture.tokens.tokenRequests() - before == 1)
            #expect(try fixture.mail.smtp.received().count == 50)
            // Both replicas delivered (so both needed the token), yet one request was made.
            let workers = try await fixture.admin.database.withClient { postgres in
                let rows = try await postgres.query(
                    "SELECT count(DISTINCT worker) FROM message_attempts WHERE outcome = 'delivered'",
                    logger: Logger(label: "test")
                )
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
            #expect(workers == 2)
        }
    }

    @Test("a cached token the SMTP server refuses is replaced once and the message still goes out")
    func refusedCachedToken() async throws {
        try await OAuthFixture.run { fixture in
            let server = try await fixture.server()
            let vault = Vault(keyRing: testMasterKeys)
            let sealed = vault.seal(
                Secret("revoked-by-the-provider"),
                at: SecretLocation(tenantID: server.tenantID, serverID: server.id, column: "access_token")
            )
            try await fixture.sql(
                "UPDATE output_servers SET access_token_sealed = \(sealed), access_token_set_at = now(), access_token_expires_at = now() + interval '1 hour'"
            )
            let id = try await fixture.send()
            let message = try await fixture.mail.waitFor(id, state: .sent)
            #expect(message.attempts == 1)
            #expect(try fixture.tokens.tokenRequests() == 1)
        }
    }

    @Test("when the token endpoint is down mail waits, then goes out once it answers again, with a recovery event")
    func deferralAndRecovery() async throws {
        try await OAuthFixture.run { fixture in
            try fixture.tokens.fail("unavailable", count: 1)
            let id = try await fixture.send()
            // The retry comes a second later, so the history, not a poll, shows the wait.
            let sent = try await fixture.mail.waitFor(id, state: .sent, limit: .seconds(60))
            let deferred = sent.history.filter { $0.outcome == "deferred" }
            #expect(!deferred.isEmpty)
            #expect(deferred.allSatisfy { $0.reply.contains("TOKEN_ENDPOINT_UNAVAILABLE") })
            #expect(sent.history.last?.outcome == "delivered")
            #expect(try await fixture.events(kind: "oauth_token_failed").count == 1)
            #expect(try await fixture.events(kind: "oauth_token_recovered").count == 1)
            #expect(try await fixture.server().tokenFailureReason == "")
        }
    }

    @Test(
        "an SMTP server that refuses even a fresh token (SMTP AUTH disabled): one new token, then the mail waits with an event"
    )
    func freshTokenRefused() async throws {
        try await OAuthFixture.run(smtpIntrospection: false) { fixture in
            let id = try await fixture.send()
            let waiting = try await eventually(limit: .seconds(30)) {
                let message = try await fixture.mail.get(id)
                return message.lastError.contains("refused a freshly issued OAuth token") && message.state != .sending
                    ? message : nil
            }
            #expect(waiting.state == .queued)
            #expect(try fixture.tokens.tokenRequests() == 2, "the first token, and one replacement")
            let event = try #require(try await fixture.events(kind: "oauth_token_rejected").first)
            #expect(event.message.contains("SMTP AUTH"))
            #expect(try fixture.mail.smtp.received().isEmpty)
        }
    }

    @Test(
        "Google: authorization code with a refresh token that does not rotate, no scope on refresh; a revoked grant asks for consent"
    )
    func google() async throws {
        try await OAuthFixture.run(
            flow: .authorizationCode,
            server: { request, tokens in
                request.oauth.provider = .google
                request.oauth.directoryID = ""
                request.oauth.tokenURL = tokens.googleTokenURL
                request.oauth.authorizationURL = tokens.googleAuthorizationURL
                request.oauth.scopes = []
            }
        ) { fixture in
            let id = try await fixture.send()
            _ = try await fixture.mail.waitFor(id, state: .sent)
            let stats = try fixture.tokens.stats()
            #expect((stats["last_form_keys"] as? [String])?.contains("scope") == false)
            #expect(stats["rotations"] as? Int == 0)
            let refreshed = try await fixture.refreshToken()
            #expect(!refreshed.refreshTokenRotated)
            #expect(refreshed.provider == .google && refreshed.scopes == ["https://mail.google.com/"])

            try fixture.tokens.revokeRefreshTokens()
            let error = await expectRPCError { _ = try await fixture.refreshToken() }
            #expect(error?.reason == "CONSENT_REQUIRED")
            #expect(
                try await fixture.events(kind: "oauth_token_failed").first?.details["error_description"]
                    == "Token has been expired or revoked."
            )
        }
    }
}
