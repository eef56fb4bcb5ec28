import MailgateCore
import Testing

@Suite("Log redaction")
struct LogRedactionTests {
    @Test(
        "every credential shape Mailgate handles is replaced, and the text around it stays",
        arguments: [
            (
                "key mgk_7f3a9c2e01b4_0f4c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e used",
                "key mgk_7f3a9c2e01b4_<redacted> used"
            ),
            (
                "authorization: Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6IjEyMyJ9.payload.sig",
                "authorization: Bearer <redacted>"
            ),
            (
                "C: AUTH XOAUTH2 dXNlcj1iaWxsaW5nQGFjbWUuZXhhbXBsZQFhdXRoPUJlYXJlciBhdC0xMjMBAQ==",
                "C: AUTH XOAUTH2 <redacted>"
            ),
            ("> auth plain AGJpbGxpbmcAaHVudGVyMg==", "> auth plain <redacted>"),
            (
                "postgres://mailgate:s3cr3t-pw@db.internal:5432/mailgate?sslmode=require",
                "postgres://mailgate:<redacted>@db.internal:5432/mailgate?sslmode=require"
            ),
            (
                "grant_type=refresh_token&refresh_token=rt-abc123&client_id=11111111&client_secret=cs~Zq8Q~xyz",
                "grant_type=refresh_token&refresh_token=<redacted>&client_id=11111111&client_secret=<redacted>"
            ),
            (
                #"{"token_type":"Bearer","expires_in":3599,"access_token":"at-eyJ0eXAi"}"#,
                #"{"token_type":"Bearer","expires_in":3599,"access_token":"<redacted>"}"#
            ),
            (
                "GET /oauth/callback?code=0.AXoAp1Rk2Ajdg0qVxZ9w_example_code&state=Yb8mKq2ZpV0cT4rW9xN1sE7h",
                "GET /oauth/callback?code=<redacted>&state=<redacted>"
            ),
            (
                "authorization: Bearer mgk_7f3a9c2e01b4_0f4c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a",
                "authorization: Bearer mgk_7f3a9c2e01b4_<redacted>"
            ),
            (
                "host=db user=mailgate password='s3cr3t pw' dbname=mailgate",
                "host=db user=mailgate password=<redacted> dbname=mailgate"
            ),
            (
                #"{"refresh_token":"rt-with-\"quote\"-inside","scope":"x"}"#,
                #"{"refresh_token":"<redacted>","scope":"x"}"#
            ),
        ]
    )
    func scrubbed(input: String, expected: String) {
        #expect(LogRedaction.scrub(input) == expected)
    }

    @Test(
        "ordinary log text is left alone",
        arguments: [
            "token request succeeded",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "reply code=535 for billing@acme.example",
            "server relay of tenant acme: 3 messages queued, oldest 12 s",
            "key_id=7f3a9c2e01b4 revoked by mgk_ops1",
            "authentication method: XOAUTH2",
            "250-AUTH LOGIN PLAIN XOAUTH2",
            "the server refused the bearer token",
            "token endpoint https://login.example:443/tenant/token?hint=a@b answered 400",
            "WWW-Authenticate: Bearer realm=\"mailgate\"",
        ]
    )
    func unchanged(text: String) {
        #expect(LogRedaction.scrub(text) == text)
    }
}
