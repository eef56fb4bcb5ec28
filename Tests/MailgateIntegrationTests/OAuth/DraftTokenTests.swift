import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

@Suite("OAuth: testing an edited server")
struct DraftTokenTests {
    /// `m365` as the fixture stored it, with another rate limit: an edit of the form that
    /// leaves OAuth settings and secrets alone.
    static func editedDraft(_ fixture: OAuthFixture) -> Mailgate_V1_PutServerRequest {
        var draft = Mailgate_V1_PutServerRequest()
        draft.tenant = "acme"
        draft.name = "m365"
        draft.senderAddress = OAuthFixture.sender
        draft.authType = .oauth2
        draft.username = OAuthFixture.sender
        draft.oauth.provider = .microsoft
        draft.oauth.flow = .authorizationCode
        draft.oauth.clientID = OAuthFixture.clientID
        draft.oauth.directoryID = TokenTestServer.directory
        draft.oauth.tokenURL = fixture.tokens.microsoftTokenURL
        draft.oauth.authorizationURL = fixture.tokens.microsoftAuthorizationURL
        draft.rateLimitPerMinute = 500
        draft.maxConnections = 16
        return draft
    }

    @Test(
        "a draft with the stored OAuth settings takes the stored server's token, so the provider's rotation of the refresh token is kept and the server goes on working"
    )
    func draftKeepsTheStoredRefreshToken() async throws {
        // The fixture rotates refresh tokens on every use and refuses the old one afterwards.
        try await OAuthFixture.run(flow: .authorizationCode) { fixture in
            for _ in 0..<2 {
                var request = Mailgate_V1_ValidateServerRequest()
                request.tenant = "acme"
                request.server = "m365"
                request.sendTestMessage = false
                request.draft = Self.editedDraft(fixture)
                let report = try await fixture.admin.operatorClient.validateServer(request)
                let token = try #require(report.checks.first { $0.name == "token" })
                #expect(token.outcome == .ok, "\(token.detail)")
                #expect(!token.detail.contains("does not store"))
            }
            // Had a draft spent the stored refresh token, the provider would now refuse it.
            let refreshed = try await fixture.refreshToken()
            #expect(refreshed.hasAccessTokenExpiresAt)
            #expect(try await fixture.server().rateLimitPerMinute == 100_000, "the draft changed nothing")
        }
    }
}
