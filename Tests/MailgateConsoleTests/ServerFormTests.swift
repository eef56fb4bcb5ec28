import Foundation
import MailgateProto
import MailgateRPC
import SwiftProtobuf
import Testing

@testable import MailgateConsole

@Suite("Console server form")
struct ServerFormTests {
    static func form(_ fields: [String: String]) -> FormBody {
        var form = FormBody()
        form.fields = fields
        return form
    }

    @Test("the form becomes a put: an empty secret is left as stored, a ticked box clears it, text replaces it")
    func secrets() {
        let (request, violations) = ServerForm.request(
            from: Self.form([
                "name": " m365 ", "host": "smtp.office365.com", "port": "587", "security": "starttls",
                "sender_address": "a@b.example", "auth_type": "oauth2", "provider": "microsoft",
                "flow": "authorization_code", "client_id": "cid", "scopes": "a  b\tc", "password": "",
                "client_secret": "new-secret", "clear_refresh_token": "1", "is_default": "1",
                "client_secret_expires_at": "2027-06-30", "expected_version": "7",
            ]),
            tenant: "acme"
        )
        #expect(violations.isEmpty)
        #expect(request.tenant == "acme" && request.name == "m365" && request.port == 587)
        #expect(request.security == .starttls && request.authType == .oauth2 && request.isDefault)
        #expect(request.oauth.provider == .microsoft && request.oauth.flow == .authorizationCode)
        #expect(request.oauth.scopes == ["a", "b", "c"])
        #expect(!request.hasPassword)
        #expect(request.clientSecret.value == "new-secret")
        #expect(request.refreshToken.clear)
        #expect(request.expectedVersion == 7)
        #expect(Formatting.day(request.clientSecretExpiresAt) == "2027-06-30")
    }

    @Test("OAuth fields are not sent for a password server")
    func basic() {
        let (request, _) = ServerForm.request(
            from: Self.form(["name": "relay", "auth_type": "basic", "username": "u", "password": "p", "client_id": "x"]
            ),
            tenant: "acme"
        )
        #expect(request.authType == .basic && request.password.value == "p")
        #expect(!request.hasOauth && !request.hasClientSecret)
    }

    @Test("a number field that holds no number is named, not taken for 0 (unlimited)")
    func numbers() {
        let (request, violations) = ServerForm.request(
            from: Self.form(["name": "relay", "port": "587", "rate_limit_per_minute": "1,000", "max_connections": ""]),
            tenant: "acme"
        )
        #expect(violations.map(\.field) == ["rate_limit_per_minute"])
        #expect(request.port == 587 && request.maxConnections == 0)
    }

    @Test("the secret's expiry date is sent only when it was changed, not because the form showed it")
    func expiryDate() {
        let shown = ["name": "m", "auth_type": "oauth2", "client_secret_expires_at_shown": "2027-06-30"]
        let unchanged = ServerForm.request(
            from: Self.form(shown.merging(["client_secret_expires_at": "2027-06-30"]) { $1 }),
            tenant: "acme"
        ).0
        #expect(!unchanged.hasClientSecretExpiresAt)
        let changed = ServerForm.request(
            from: Self.form(shown.merging(["client_secret_expires_at": "2027-09-30"]) { $1 }),
            tenant: "acme"
        ).0
        #expect(Formatting.day(changed.clientSecretExpiresAt) == "2027-09-30")
    }

    @Test("the Microsoft preset is the one PutServer applies, for the delegated (refresh token) flow")
    func microsoftPreset() {
        let server = ServerForm.Preset.microsoft.server
        #expect(server.host == "smtp.office365.com" && server.port == 587 && server.security == .starttls)
        #expect(server.oauth.flow == .authorizationCode && server.oauth.scopes.contains("offline_access"))
        #expect(server.maxConnections == 3)
    }

    @Test("a stored secret is shown as its state, never its value")
    func secretState() {
        var server = Mailgate_V1_OutputServer()
        server.password.isSet = true
        server.password.setAt = .init(date: Date(timeIntervalSince1970: 1_800_000_000))
        let values = ServerForm.values(of: server, isNew: false, language: .english)
        let password = values["password"] as? [String: Any]
        #expect(password?["state"] as? String == "Set on 2027-01-15 08:00 UTC")
        #expect(password?["isSet"] as? Bool == true)
        #expect((values["refreshToken"] as? [String: Any])?["state"] as? String == "Not set")
    }
}
