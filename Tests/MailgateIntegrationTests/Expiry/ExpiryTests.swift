import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// Client-secret expiry: warnings per threshold, once each, with an injected clock.
@Suite("Client-secret expiry")
struct ExpiryTests {
    static let day: TimeInterval = 86400

    /// An OAuth fixture whose tenant has an alert contact and whose secret expires at `expiresAt`.
    static func run(
        expiresAt: Date,
        tokenArguments: [String] = [],
        systemServer: String? = nil,
        server customize: @escaping @Sendable (inout Mailgate_V1_PutServerRequest) -> Void = { _ in },
        _ body: (OAuthFixture) async throws -> Void
    ) async throws {
        try await OAuthFixture.run(
            tokenArguments: tokenArguments,
            expirySystemServer: systemServer,
            server: { request, _ in
                request.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: expiresAt)
                customize(&request)
            }
        ) { fixture in
            var update = Mailgate_V1_UpdateTenantRequest()
            update.tenant = "acme"
            update.updateAlertContacts = true
            update.alertContacts = ["it-ops@acme.example"]
            _ = try await fixture.admin.operatorClient.updateTenant(update)
            try await body(fixture)
        }
    }

    static func thresholds(_ events: [Mailgate_V1_Event]) -> [String] {
        events.compactMap { $0.details["threshold_days"] }.sorted { Int($0)! > Int($1)! }
    }

    @Test(
        "each threshold fires exactly once per secret, with three replicas scanning at once; the warning mail arrives"
    )
    func thresholdsOnceAcrossReplicas() async throws {
        let expiresAt = Date().addingTimeInterval(100 * Self.day)
        try await Self.run(expiresAt: expiresAt) { fixture in
            try await AdminFixture.run(database: fixture.admin.database) { second in
                try await AdminFixture.run(database: fixture.admin.database) { third in
                    let scanners = [
                        fixture.admin.application.expiryScanner, second.application.expiryScanner,
                        third.application.expiryScanner,
                    ]
                    let moments: [TimeInterval] = [-59.5, -59, -29.5, -13.5, -6.5, -2.5, -0.5, 0.01, 1]
                    for offset in moments {
                        let now = expiresAt.addingTimeInterval(offset * Self.day)
                        let reports = try await withThrowingTaskGroup(of: ExpiryScanner.Report?.self) { group in
                            for scanner in scanners { group.addTask { try await scanner.scanOnce(now: now) } }
                            return try await group.reduce(into: []) { $0.append($1) }
                        }
                        #expect(reports.compactMap { $0 }.flatMap(\.warnings).count <= 1, "at \(offset) days")
                    }
                }
            }
            let expiring = try await fixture.events(kind: "client_secret_expiring")
            #expect(Self.thresholds(expiring) == ["60", "30", "14", "7", "3", "1"])
            let expired = try await fixture.events(kind: "client_secret_expired")
            #expect(expired.count == 1)
            #expect(expired.first?.severity == .critical)
            #expect(expiring.first { $0.details["threshold_days"] == "3" }?.severity == .error)
            #expect(expiring.first { $0.details["threshold_days"] == "60" }?.severity == .info)
            #expect(
                expiring.allSatisfy {
                    $0.details["client_id"] == OAuthFixture.clientID && $0.details["mailed_to"] == "it-ops@acme.example"
                }
            )

            // Six warnings went out through the tenant's default server (the expired one cannot send any more).
            let mails = try await eventually(limit: .seconds(20)) {
                let received = try fixture.mail.smtp.received()
                return received.count >= 6 ? received : nil
            }
            #expect(mails.count == 6)
            let texts = mails.map { String(decoding: $0.bytes, as: UTF8.self) }
            let text = try #require(texts.first { $0.contains("expires in 59 days") }, "the 60-day warning")
            #expect(text.contains("Subject: [Mailgate] OAuth client secret for server m365 expires in 59 days"))
            #expect(text.contains("To: it-ops@acme.example"))
            #expect(text.contains(OAuthFixture.clientID))
            #expect(text.contains("mailgate server put m365 --tenant acme --client-secret-file"))
            #expect(text.contains("Certificates & secrets"))
            #expect(!text.contains(OAuthFixture.clientSecret))
        }
    }

    @Test(
        "after downtime only the most urgent missed warning is sent; a new secret starts afresh; ListExpiringSecrets shows the last warning"
    )
    func catchUpAndReset() async throws {
        let expiresAt = Date().addingTimeInterval(100 * Self.day)
        try await Self.run(expiresAt: expiresAt) { fixture in
            let scanner = fixture.admin.application.expiryScanner
            let late = expiresAt.addingTimeInterval(-5 * Self.day)
            let report = try #require(try await scanner.scanOnce(now: late))
            #expect(report.warnings.map(\.threshold) == [7])
            let event = try #require(try await fixture.events(kind: "client_secret_expiring").first)
            #expect(event.details["missed_thresholds"] == "60,30,14")
            #expect(try await scanner.scanOnce(now: late)?.warnings.isEmpty == true)

            var list = Mailgate_V1_ListExpiringSecretsRequest()
            list.withinSeconds = 200 * 86400
            let listed = try #require(try await fixture.client.listExpiringSecrets(list).secrets.first)
            #expect(listed.serverName == "m365" && listed.tenantSlug == "acme" && listed.provider == .microsoft)
            #expect(listed.source == .operator)
            #expect(listed.lastWarning.hasPrefix("7 days"))

            // The operator corrects the date to 180 days away: the thresholds not reached yet warn again.
            try await fixture.reput {
                $0.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: expiresAt.addingTimeInterval(80 * Self.day))
            }
            let corrected = try await scanner.scanOnce(now: expiresAt.addingTimeInterval(21 * Self.day))
            #expect(corrected?.warnings.map(\.threshold) == [60], "the corrected date is 59 days away then")

            // A new secret (same date): its warnings start again.
            try await fixture.reput {
                $0.clientSecret.value = OAuthFixture.clientSecret
                $0.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: expiresAt)
            }
            #expect(try await scanner.scanOnce(now: late)?.warnings.map(\.threshold) == [7])
            #expect(try await fixture.events(kind: "client_secret_expiring").count == 3)
        }
    }

    @Test(
        "the expired warning goes out through the operator's system server when the tenant's own server is the one that expired"
    )
    func systemServerFallback() async throws {
        let expiresAt = Date().addingTimeInterval(100 * Self.day)
        try await Self.run(expiresAt: expiresAt, systemServer: "ops/alerts") { fixture in
            try await fixture.admin.createTenant("ops")
            var alerts = Mailgate_V1_PutServerRequest()
            alerts.tenant = "ops"
            alerts.name = "alerts"
            alerts.host = "127.0.0.1"
            alerts.port = UInt32(fixture.mail.smtp.port)
            alerts.security = .starttls
            alerts.senderName = "Mailgate alerts"
            alerts.senderAddress = "alerts@ops.example"
            alerts.authType = .basic
            alerts.username = OAuthFixture.sender
            alerts.password.value = "unused"
            _ = try await fixture.admin.operatorClient.putServer(alerts)

            let report = try await fixture.admin.application.expiryScanner.scanOnce(
                now: expiresAt.addingTimeInterval(3600)
            )
            #expect(report?.warnings.map(\.threshold) == [0])
            #expect(report?.warnings.first?.mailed == true)
            let mail = try await eventually(limit: .seconds(20)) { try fixture.mail.smtp.received().first }
            let text = String(decoding: mail.bytes, as: UTF8.self)
            #expect(text.contains("Subject: [Mailgate] OAuth client secret EXPIRED for server m365 (tenant acme)"))
            #expect(text.contains("From: Mailgate alerts <alerts@ops.example>"))
            #expect(text.contains("To: it-ops@acme.example"))

            // The ops tenant's keys cannot read acme's warning: it names acme's contacts and server.
            let warningID = try await fixture.admin.database.withClient { postgres in
                let rows = try await postgres.query(
                    "SELECT id FROM messages WHERE internal AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ops')",
                    logger: Logger(label: "test")
                )
                var ids: [UUID] = []
                for try await id in rows.decode(UUID.self) { ids.append(id) }
                return ids
            }
            #expect(warningID.count == 1, "stored as internal mail of the system server's tenant")
            let opsClient = fixture.admin.client(apiKey: try await fixture.admin.createTenantKey("ops"))
            var get = Mailgate_V1_GetMessageRequest()
            get.messageID = try #require(warningID.first).uuidString.lowercased()
            let hidden = await expectRPCError { _ = try await opsClient.getMessage(get) }
            #expect(hidden?.code == .notFound)
            let opsEvents = try await opsClient.listEvents(Mailgate_V1_ListEventsRequest()).events
            #expect(!opsEvents.contains { $0.message.contains("acme") || $0.message.contains("it-ops") })
            await opsClient.close()
        }
    }

    @Test("a tenant's own thresholds replace the service's")
    func tenantThresholds() async throws {
        let expiresAt = Date().addingTimeInterval(100 * Self.day)
        try await Self.run(expiresAt: expiresAt) { fixture in
            var update = Mailgate_V1_UpdateTenantRequest()
            update.tenant = "acme"
            update.updateExpiryWarningDays = true
            update.expiryWarningDays = [10]
            let updated = try await fixture.admin.operatorClient.updateTenant(update)
            #expect(updated.expiryWarningDays == [10])
            let scanner = fixture.admin.application.expiryScanner
            let early = try await scanner.scanOnce(now: expiresAt.addingTimeInterval(-12 * Self.day))
            #expect(early?.warnings.isEmpty == true)
            let due = try await scanner.scanOnce(now: expiresAt.addingTimeInterval(-9.5 * Self.day))
            #expect(due?.warnings.map(\.threshold) == [10])
        }
    }

    @Test("AADSTS7000222 marks the secret expired at once, and the next scan raises the expired event")
    func providerSaysExpired() async throws {
        try await Self.run(
            expiresAt: Date().addingTimeInterval(300 * Self.day),
            tokenArguments: ["--expired-secret", "\(OAuthFixture.clientID)=old-secret-value-that-expired"],
            server: { $0.clientSecret.value = "old-secret-value-that-expired" }
        ) { fixture in
            let error = await expectRPCError { _ = try await fixture.refreshToken() }
            #expect(error?.reason == "CLIENT_SECRET_EXPIRED")
            let server = try await fixture.server()
            #expect(server.clientSecret.expiresAt.date <= Date() && server.clientSecret.expirySource == .provider)
            let report = try #require(try await fixture.admin.application.expiryScanner.scanOnce(now: Date()))
            #expect(report.warnings.map(\.threshold) == [0])
            #expect(try await fixture.events(kind: "client_secret_expired").count == 1)
        }
    }

    @Test(
        "Graph discovery takes the end date of the secret with the stored one's hint; without permission it says so once and keeps the date"
    )
    func graphDiscovery() async throws {
        let hint = String(OAuthFixture.clientSecret.prefix(3))
        let operatorDate = Date().addingTimeInterval(400 * Self.day)
        try await Self.run(
            expiresAt: operatorDate,
            tokenArguments: [
                "--graph-permission", "--password-credential", "zzz=2026-12-01T00:00:00Z",
                "--password-credential", "\(hint)=2027-03-01T10:00:00Z",
            ],
            server: { $0.discoverSecretExpiry = true }
        ) { fixture in
            _ = try await fixture.admin.application.expiryScanner.scanOnce(now: Date())
            let server = try await fixture.server()
            #expect(server.clientSecret.expirySource == .provider)
            #expect(server.clientSecret.expiresAt.date == ISO8601DateFormatter().date(from: "2027-03-01T10:00:00Z"))
        }
        try await Self.run(expiresAt: operatorDate, server: { $0.discoverSecretExpiry = true }) { fixture in
            let scanner = fixture.admin.application.expiryScanner
            _ = try await scanner.scanOnce(now: Date())
            _ = try await scanner.scanOnce(now: Date().addingTimeInterval(2 * Self.day))
            let events = try await fixture.events(kind: "client_secret_discovery_failed")
            #expect(events.count == 1)
            #expect(events.first?.details["reason"] == "PERMISSION_MISSING")
            #expect(events.first?.message.contains("Application.Read.All") == true)
            let server = try await fixture.server()
            #expect(server.clientSecret.expirySource == .operator)
            #expect(server.secretDiscoveryProblem == "PERMISSION_MISSING")
        }
    }

    @Test(
        "mailgate expiry check: exit 0 with nothing due, 1 with something within the window, 2 once expired, 3 when it cannot check; JSON for pipelines"
    )
    func expiryCheckCLI() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await Self.run(expiresAt: Date().addingTimeInterval(90 * Self.day)) { fixture in
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.admin.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            let (none, noneText) = try await CLITests.mailgate(["expiry", "check", "--within", "30d"], environment)
            #expect(none == 0, "\(noneText)")

            try await fixture.reput {
                $0.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(10 * Self.day))
            }
            let (soon, json) = try await CLITests.mailgate(
                ["expiry", "check", "--within", "30d", "--format", "json"],
                environment
            )
            #expect(soon == 1)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(document["expiring"] as? Int == 1 && document["expired"] as? Int == 0)
            let row = try #require((document["secrets"] as? [[String: Any]])?.first)
            #expect(
                row["tenant"] as? String == "acme" && row["server"] as? String == "m365"
                    && row["provider"] as? String == "microsoft"
            )
            #expect(row["client_id"] as? String == OAuthFixture.clientID && row["source"] as? String == "operator")
            #expect((row["days_left"] as? Int).map { (9...10).contains($0) } == true)
            #expect(row["expired"] as? Bool == false)

            // Another tenant's secret expires sooner: operators see both, acme's key only its own.
            try await fixture.admin.createTenant("globex")
            var other = AdminFixture.microsoftServerRequest(
                "mx",
                tenant: "globex",
                clientSecret: "globex-secret-value-000"
            )
            other.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(5 * Self.day))
            _ = try await fixture.admin.operatorClient.putServer(other)
            let (both, bothJSON) = try await CLITests.mailgate(["expiry", "check", "--format", "json"], environment)
            #expect(both == 1)
            #expect(bothJSON.contains("\"globex\"") && bothJSON.contains("\"acme\""))
            let acmeKey = try await fixture.admin.createTenantKey("acme")
            let (tenantView, tenantJSON) = try await CLITests.mailgate(
                ["expiry", "check", "--format", "json", "--key", acmeKey],
                environment
            )
            #expect(tenantView == 1, "a tenant key sees its own")
            #expect(!tenantJSON.contains("globex"))
            let (otherTenant, _) = try await CLITests.mailgate(
                ["expiry", "check", "--key", acmeKey, "--tenant", "globex"],
                environment
            )
            #expect(otherTenant == 3, "a tenant key cannot look into another tenant")
            try await fixture.sql("DELETE FROM output_servers WHERE name = 'mx'")

            try await fixture.sql("UPDATE output_servers SET client_secret_expires_at = now() - interval '1 day'")
            let (expired, table) = try await CLITests.mailgate(["expiry", "check"], environment)
            #expect(expired == 2)
            #expect(table.contains("EXPIRED"))

            let (unreachable, _) = try await CLITests.mailgate(
                ["expiry", "check", "--address", "127.0.0.1:1"],
                environment
            )
            #expect(unreachable == 3)
        }
    }

    @Test("the expiry gauge is on /metrics, negative once expired")
    func gauge() async throws {
        try await Self.run(expiresAt: Date().addingTimeInterval(10 * Self.day)) { fixture in
            _ = try await fixture.admin.application.expiryScanner.scanOnce(now: Date())
            let port = try await fixture.admin.opsPort()
            let (status, _, body) = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/metrics")
            }
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == 200)
            let line = try #require(
                text.split(separator: "\n").first { $0.hasPrefix("mailgate_client_secret_expiry_seconds{") }
            )
            #expect(
                line.contains("tenant=\"acme\"") && line.contains("server=\"m365\"")
                    && line.contains("provider=\"microsoft\"")
            )
            let value = try #require(Double(line.split(separator: " ").last ?? ""))
            #expect(abs(value - 10 * Self.day) < 120)
            _ = try await fixture.admin.application.expiryScanner.scanOnce(
                now: Date().addingTimeInterval(11 * Self.day)
            )
            let (_, _, later) = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/metrics")
            }
            #expect(String(decoding: later, as: UTF8.self).contains("mailgate_client_secret_expiry_seconds{"))
            #expect(String(decoding: later, as: UTF8.self).contains("} -"), "negative once expired")
        }
    }
}
