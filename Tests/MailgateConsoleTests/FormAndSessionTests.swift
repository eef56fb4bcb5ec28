import Foundation
import Testing

@testable import MailgateConsole

@Suite("Console forms and sessions")
struct FormAndSessionTests {
    @Test("a multipart form yields its fields and its file, byte for byte")
    func multipart() throws {
        let file = Data([0x50, 0x4B, 0x03, 0x04, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])
        var body = Data()
        body += Data("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken-1\r\n".utf8)
        body += Data(
            "--XyZ\r\nContent-Disposition: form-data; name=\"sheet\"; filename=\"servers.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .utf8
        )
        body += file
        body += Data("\r\n--XyZ--\r\n".utf8)
        let form = try #require(FormBody(contentType: "multipart/form-data; boundary=XyZ", body: body))
        #expect(form["csrf"] == "token-1")
        #expect(form.files["sheet"]?.fileName == "servers.xlsx")
        #expect(form.files["sheet"]?.data == file)
    }

    @Test("a malformed multipart body or an unknown content type is refused")
    func malformed() {
        #expect(FormBody(contentType: "multipart/form-data; boundary=XyZ", body: Data("--XyZ\r\nno end".utf8)) == nil)
        #expect(FormBody(contentType: "multipart/form-data", body: Data("x".utf8)) == nil)
        #expect(FormBody(contentType: "application/json", body: Data("{}".utf8)) == nil)
    }

    @Test("url-encoded fields decode, with + as space")
    func urlEncoded() throws {
        let form = try #require(
            FormBody(
                contentType: "application/x-www-form-urlencoded",
                body: Data("name=a+b%26c&is_default=1&empty=".utf8)
            )
        )
        #expect(form["name"] == "a b&c")
        #expect(form.isChecked("is_default"))
        #expect(!form.isChecked("empty"))
        #expect(!form.isChecked("absent"))
    }

    @Test("session tokens are long, random and compared exactly")
    func tokens() {
        let one = SessionToken.make()
        let two = SessionToken.make()
        #expect(one.count >= 43 && one != two)
        #expect(SessionToken.matches(one, one))
        #expect(!SessionToken.matches(one, two))
        #expect(!SessionToken.matches("", ""))
        #expect(!SessionToken.matches(String(one.dropLast()), one))
        #expect(SessionToken.hash(one).count == 32)
    }

    @Test(
        "after sign-in only a path of this console is followed",
        arguments: [
            ("/tenants/acme/servers", "/tenants/acme/servers"), ("//evil.example/x", "/"),
            ("https://evil.example", "/"), ("/\\evil.example", "/"), ("", "/"), ("/\t/evil.example", "/"),
            ("/a\\b", "/"), ("/x\n/y", "/"), ("/tenants?lang=es", "/tenants?lang=es"),
        ]
    )
    func nextPath(next: String, expected: String) {
        #expect(SignInRoutes.safeNext(next) == expected)
    }

    @Test("a form post counts as same-origin only from this host")
    func origin() {
        #expect(SessionMiddleware.isSameOrigin("http://127.0.0.1:7589", host: "127.0.0.1:7589"))
        #expect(SessionMiddleware.isSameOrigin("https://console.example", host: "console.example"))
        #expect(!SessionMiddleware.isSameOrigin("http://evil.example", host: "127.0.0.1:7589"))
        #expect(!SessionMiddleware.isSameOrigin("null", host: "127.0.0.1:7589"))
    }

    @Test("secret expiry is coloured at the tenant's thresholds")
    func expiryColours() {
        #expect(ExpiryColour.cssClass(daysLeft: 90, thresholds: []) == "ok")
        #expect(ExpiryColour.cssClass(daysLeft: 45, thresholds: []) == "warn")
        #expect(ExpiryColour.cssClass(daysLeft: 5, thresholds: []) == "bad")
        #expect(ExpiryColour.cssClass(daysLeft: -1, thresholds: []) == "bad")
        #expect(ExpiryColour.cssClass(daysLeft: 20, thresholds: [30, 10]) == "warn")
        #expect(ExpiryColour.cssClass(daysLeft: 10, thresholds: [30, 10]) == "bad")
    }
}
