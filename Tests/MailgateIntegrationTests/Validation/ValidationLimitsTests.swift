import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import Testing

/// ValidateServer and RefreshToken are no way around a tenant's or a server's limits: each
/// is counted per tenant and minute across replicas, a validation's test message counts
/// against the server's own limits, and one tenant cannot take every validation thread.
@Suite("Limits on validations and forced token refreshes")
struct ValidationLimitsTests {
    static func setQuotas(_ fixture: AdminFixture, _ change: (inout Mailgate_V1_TenantQuotas) -> Void) async throws {
        var update = Mailgate_V1_UpdateTenantRequest()
        update.tenant = "acme"
        update.updateQuotas = true
        change(&update.quotas)
        _ = try await fixture.operatorClient.updateTenant(update)
    }

    @Test("validations beyond the tenant's calls a minute are refused, naming the quota")
    func validationsPerMinute() async throws {
        try await MailFixture.run { fixture in
            try await Self.setQuotas(fixture.admin) { $0.validationsPerMinute = 2 }
            try await MinuteWindow.waitForRoom()
            for _ in 1...2 { _ = try await fixture.client.validate("relay", testMessage: false) }
            let error = await expectRPCErrorQuietly {
                _ = try await fixture.client.validate("relay", testMessage: false)
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.reason == "TENANT_QUOTA_EXCEEDED")
            #expect(error?.fieldViolations.map(\.field) == ["quotas.validations_per_minute"])
            #expect((error?.retryAfterMilliseconds ?? 0) > 0)
            var get = Mailgate_V1_GetTenantRequest()
            get.tenant = "acme"
            #expect(try await fixture.admin.operatorClient.getTenant(get).usage.validationsThisMinute == 2)
        }
    }

    @Test("a validation's test message counts against the server's rate limit, and waits when the server is at it")
    func testMessageWithinServerLimits() async throws {
        try await MailFixture.run { server in
            server.rateLimitPerMinute = 1
        } _: { fixture in
            let first = try await fixture.client.validate("relay", testMessage: true)
            #expect(first.ok, "\(first.outline)")
            #expect(try fixture.smtp.received().count == 1)

            let second = try await fixture.client.validate("relay", testMessage: true)
            let check = try second.check("test_message")
            #expect(check.outcome == .warning, "\(second.outline)")
            #expect(check.reason == "THROTTLED")
            #expect(check.detail.contains("rate limit of 1"))
            #expect(second.testMessageID.isEmpty)
            // Queued mail waits for the minute too: the test message used it.
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Task.sleep(for: .seconds(2))
            #expect(try await fixture.get(sent.messageID).state == .queued)
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("one tenant runs at most two validations at once on a replica; joining a running one is free")
    func validationsAtOnce() async throws {
        // Each test message takes 8 s at DATA: the validations overlap, even on a loaded machine.
        try await MailFixture.run(smtpArguments: ["--delay-ms", "8000"]) { fixture in
            for name in ["relay2", "relay3"] {
                try await fixture.reput { request in request.name = name }
            }
            async let first = fixture.client.validate("relay", testMessage: true)
            async let second = fixture.client.validate("relay2", testMessage: true)
            // Both are sending their test messages (stored as they start, held 8 s at DATA).
            _ = try await eventually(limit: .seconds(30)) {
                try await fixture.admin.database.withClient { postgres in
                    let rows = try await postgres.query(
                        "SELECT count(*) FROM messages WHERE state = 'sending' AND lease_owner LIKE 'validation:%'",
                        logger: .init(label: "test")
                    )
                    for try await count in rows.decode(Int.self) where count == 2 { return true }
                    return nil
                }
            }
            async let joined = fixture.client.validate("relay", testMessage: true)
            let error = await expectRPCErrorQuietly {
                _ = try await fixture.client.validate("relay3", testMessage: true)
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.reason == "TENANT_VALIDATIONS_BUSY")
            let results = try await [first, joined, second]
            let passed = results.allSatisfy { $0.ok }
            #expect(passed, "\(results.map(\.outline))")
            #expect(results[0].testMessageID == results[1].testMessageID, "the second call joined the first")
            // Once they end, the tenant may validate again.
            #expect(try await fixture.client.validate("relay3", testMessage: false).ok)
        }
    }

    @Test("forced token refreshes beyond the tenant's calls a minute are refused before the provider is asked")
    func tokenRefreshesPerMinute() async throws {
        try await OAuthFixture.run { fixture in
            try await Self.setQuotas(fixture.admin) { $0.tokenRefreshesPerMinute = 1 }
            try await MinuteWindow.waitForRoom()
            _ = try await fixture.refreshToken()
            let requests = try fixture.tokens.stats()["token_requests"] as? Int
            let error = await expectRPCErrorQuietly { _ = try await fixture.refreshToken() }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.fieldViolations.map(\.field) == ["quotas.token_refreshes_per_minute"])
            let after = try fixture.tokens.stats()["token_requests"] as? Int
            #expect(after == requests, "the provider was not asked")
        }
    }
}
