import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import PostgresNIO
import MailgateTestSupport
import Testing

@Suite("Console: sessions and security")
struct ConsoleSecurityTests {
    @Test("a key is exchanged for an HttpOnly, SameSite=Strict session; pages carry a strict CSP and refuse framing")
    func signIn() async throws {
        try await ConsoleFixture.run { fixture in
            var browser = fixture.browser()
            let start = try await browser.get("/tenants")
            #expect(start.status == 303 && start.headers["location"] == "/sign-in?next=/tenants")
            let wrong = try await browser.signIn("mgk_nobody_" + String(repeating: "x", count: 40))
            #expect(wrong.status == 401)
            #expect(browser.cookies["mg_session"] == nil)
            let signedIn = try await browser.signIn(testOperatorKey.presentedForm.exposedValue)
            #expect(signedIn.status == 303)
            let cookie = try #require(signedIn.headers["set-cookie"])
            #expect(
                cookie.hasPrefix("mg_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict")
            )
            let page = try await browser.get("/tenants")
            #expect(page.status == 200)
            let policy = try #require(page.headers["content-security-policy"])
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(page.headers["cache-control"] == "no-store")
            #expect(!page.html.contains("<script>"), "no inline script")
        }
    }

    @Test("sign-in is limited per address by the API's own allowance for failed keys: a guessing browser waits")
    func signInLimited() async throws {
        // Five failures at once, then one a minute: the suite's load cannot refill it meanwhile.
        try await ConsoleFixture.run(authentication: AuthenticationSettings(failureBurst: 5, failuresPerMinute: 1)) {
            fixture in
            var browser = fixture.browser()
            var statuses: [Int] = []
            for attempt in 0..<12 {
                statuses.append(
                    try await browser.signIn("mgk_guess\(attempt)_" + String(repeating: "x", count: 40)).status
                )
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == 401 })
            let limited = try #require(statuses.firstIndex(of: 429), "\(statuses)")
            #expect(statuses[limited...].allSatisfy { $0 == 429 })
            let page = try await browser.signIn("mgk_guess_" + String(repeating: "y", count: 40))
            #expect(page.status == 429 && page.html.contains("Try again in"))
            #expect(browser.cookies["mg_session"] == nil)
        }
    }

    @Test("a form without its CSRF token, with another session's, or from another site changes nothing")
    func csrf() async throws {
        try await ConsoleFixture.run { fixture in
            var mine = fixture.browser()
            _ = try await mine.signIn(testOperatorKey.presentedForm.exposedValue)
            var other = fixture.browser()
            _ = try await other.signIn(testOperatorKey.presentedForm.exposedValue)
            let othersToken = try #require(try await other.get("/tenants").csrf)
            let token = try #require(try await mine.get("/tenants").csrf)
            #expect(token != othersToken)
            let refusals = [
                try await mine.post("/tenants", ["slug": "no-token", "display_name": "No token"]),
                try await mine.post("/tenants", ["slug": "other-token", "display_name": "Other", "csrf": othersToken]),
                try await mine.post(
                    "/tenants",
                    ["slug": "other-site", "display_name": "Other site", "csrf": token],
                    origin: "https://evil.example"
                ),
            ]
            #expect(refusals.map(\.status) == [403, 403, 403])
            let tenants = try await fixture.admin.operatorClient.listTenants(Mailgate_V1_ListTenantsRequest())
            #expect(tenants.tenants.isEmpty, "nothing was created")
            let created = try await mine.post("/tenants", ["slug": "acme", "display_name": "Acme", "csrf": token])
            #expect(created.status == 303 && created.headers["location"] == "/tenants/acme")
        }
    }

    @Test("a tenant session reaches its own tenant's pages only, whatever the URL")
    func tenantIsolation() async throws {
        try await ConsoleFixture.run { fixture in
            _ = try await fixture.admin.createTenant("acme")
            _ = try await fixture.admin.createTenant("globex")
            try await fixture.admin.putBasicServer("globex-relay", tenant: "globex")
            let key = try await fixture.admin.createTenantKey("acme")
            var browser = fixture.browser()
            let landing = try await browser.signIn(key)
            #expect(landing.headers["location"] == "/")
            #expect(try await browser.get("/").headers["location"] == "/tenants/acme/servers")
            #expect(try await browser.get("/tenants/acme/servers").status == 200)
            for path in [
                "/tenants/globex/servers", "/tenants/globex/servers/globex-relay", "/tenants/globex/events",
                "/tenants/globex", "/tenants/globex/server-sheet/export?format=csv", "/tenants/globex/messages?id=x",
            ] {
                let page = try await browser.get(path)
                #expect([403, 404].contains(page.status), "\(path): \(page.status)")
                #expect(
                    !page.html.contains("smtp.example.com") && !page.html.contains("billing@example.com"),
                    "\(path)"
                )
            }
            #expect(try await browser.get("/tenants").status == 403)
            #expect(
                [403, 404].contains(try await browser.get("/tenants/globex/servers/globex-relay/state.json").status)
            )
            // Writes and scripts' calls naming the other tenant are refused the same way.
            let ownToken = try #require(try await browser.get("/tenants/acme/servers").csrf)
            let unread = try await fixture.admin.operatorClient(actingIn: "globex").listEvents(
                Mailgate_V1_ListEventsRequest()
            ).unreadCount
            let markRead = try await browser.post("/tenants/globex/events/read", ["csrf": ownToken, "mark": "all"])
            #expect([403, 404].contains(markRead.status))
            #expect(
                try await fixture.admin.operatorClient(actingIn: "globex").listEvents(Mailgate_V1_ListEventsRequest())
                    .unreadCount == unread && unread > 0
            )
            let authorize = try await browser.post(
                "/tenants/globex/servers/globex-relay/authorize.json",
                ["csrf": ownToken]
            )
            #expect([403, 404].contains(authorize.status) && !authorize.html.contains("http"))
            let validation = try await browser.post(
                "/tenants/globex/server-validation.json",
                ["csrf": ownToken, "stored_name": "globex-relay"]
            )
            #expect(validation.html.contains("\"error\"") && !validation.html.contains("\"checks\""))
            // Writes are the operators': refused by the same rule as over RPC.
            let token = try #require(try await browser.get("/tenants/acme/servers").csrf)
            let put = try await browser.post(
                "/tenants/acme/server-save",
                ["csrf": token, "name": "mine", "host": "smtp.example.com", "sender_address": "a@acme.example"]
            )
            #expect(put.status == 403)
        }
    }

    @Test("revoking the key ends its sessions at once; signing out ends the session; an idle session ends")
    func sessionsEnd() async throws {
        try await ConsoleFixture.run { fixture in
            _ = try await fixture.admin.createTenant("acme")
            let key = try await fixture.admin.createTenantKey("acme")
            var browser = fixture.browser()
            _ = try await browser.signIn(key)
            #expect(try await browser.get("/tenants/acme/servers").status == 200)
            var revoke = Mailgate_V1_RevokeApiKeyRequest()
            revoke.keyID = String(key.split(separator: "_")[1])
            _ = try await fixture.admin.operatorClient.revokeApiKey(revoke)
            let after = try await browser.get("/tenants/acme/servers")
            #expect(after.status == 303 && after.headers["location"]?.hasPrefix("/sign-in") == true)

            var operatorBrowser = fixture.browser()
            _ = try await operatorBrowser.signIn(testOperatorKey.presentedForm.exposedValue)
            let token = try #require(try await operatorBrowser.get("/tenants").csrf)
            let session = try #require(operatorBrowser.cookies["mg_session"])
            #expect(try await operatorBrowser.post("/sign-out", ["csrf": token]).status == 303)
            operatorBrowser.cookies["mg_session"] = session  // a copy of the cookie kept elsewhere
            #expect(try await operatorBrowser.get("/tenants").status == 303)

            // Idle for longer than the timeout (30 minutes here): the clock moved by the database.
            var idle = fixture.browser()
            _ = try await idle.signIn(testOperatorKey.presentedForm.exposedValue)
            #expect(try await idle.get("/tenants").status == 200)
            _ = try await fixture.admin.database.withClient { postgres in
                try await postgres.query(
                    "UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'",
                    logger: Logger(label: "test")
                )
            }
            #expect(try await idle.get("/tenants").status == 303)
        }
    }

    @Test("no page or download shows a stored secret: the form says only whether each is set")
    func noSecretRendered() async throws {
        try await ConsoleFixture.run { fixture in
            _ = try await fixture.admin.createTenant("acme")
            let password = "pw-" + UUID().uuidString
            let clientSecret = "cs~" + UUID().uuidString
            try await fixture.admin.putBasicServer("relay", tenant: "acme", password: password)
            _ = try await fixture.admin.operatorClient.putServer(
                AdminFixture.microsoftServerRequest("m365", tenant: "acme", clientSecret: clientSecret)
            )
            var browser = fixture.browser()
            _ = try await browser.signIn(testOperatorKey.presentedForm.exposedValue)
            var bodies: [String] = []
            for path in [
                "/tenants/acme/servers", "/tenants/acme/servers/relay", "/tenants/acme/servers/m365",
                "/tenants/acme/server-sheet/export?format=csv", "/tenants/acme/server-sheet/export?format=xlsx",
                "/tenants/acme/servers/m365/state.json", "/tenants/acme/events", "/expiring?within=3650",
            ] {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path)")
                bodies.append(page.html)
            }
            #expect(bodies[1].contains("id=\"password-state\" class=\"secret-state\">Set on"))
            for body in bodies {
                #expect(!body.contains(password) && !body.contains(clientSecret))
            }
        }
    }

    @Test("the pages follow Accept-Language, and ?lang= switches and is remembered")
    func languages() async throws {
        try await ConsoleFixture.run { fixture in
            var browser = fixture.browser()
            let spanish = try await browser.get("/sign-in", headers: ["Accept-Language": "es-ES,es;q=0.9"])
            #expect(spanish.html.contains("<html lang=\"es\">") && spanish.html.contains("Iniciar sesión"))
            let portuguese = try await browser.get("/sign-in?lang=pt")
            #expect(portuguese.html.contains("<html lang=\"pt\">"))
            #expect(browser.cookies["mg_lang"] == "pt")
            let remembered = try await browser.get("/sign-in", headers: ["Accept-Language": "en"])
            #expect(remembered.html.contains("<html lang=\"pt\">"))
        }
    }
}
