import Foundation
import Logging
import MailgateCore
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// A fault an operator can fix never costs a message: the mail waits, one event says why,
/// ValidateServer names the same cause, and the fix lets the mail go at once, not after
/// the wait before the next probe (10 minutes here, so only the fix can explain a delivery).
@Suite("Server faults: mail waits and goes out once fixed")
struct ServerFaultTests {
    static let longWait = Duration.seconds(600)

    /// Waits until `id` has an attempt deferred for `reason`; the message is still queued.
    static func waitsFor(_ reason: String, _ id: String, in fixture: MailFixture) async throws {
        let message = try await eventually(limit: .seconds(20)) {
            let message = try await fixture.get(id)
            return message.history.contains { $0.outcome == "deferred" && $0.reply.contains(reason) } ? message : nil
        }
        #expect(
            message.state == .queued || message.state == .sending,
            "a server fault ended the message: \(message.state), \(message.lastError)"
        )
    }

    /// A STARTTLS relay that takes `billing`/`right`, and a server that sends `wrong`.
    static func withWrongPassword(
        giveUpAfter: Duration = .seconds(60),
        blockWait: Duration,
        _ body: (MailFixture) async throws -> Void
    ) async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", "right"],
            tlsMode: "starttls",
            giveUpAfter: giveUpAfter,
            blockWait: blockWait
        ) { server in
            server.authType = .basic
            server.username = "billing"
            server.password.value = "wrong"
        } _: { fixture in
            try await body(fixture)
        }
    }

    static func setStatus(_ status: Mailgate_V1_TenantStatus, in fixture: MailFixture) async throws {
        var update = Mailgate_V1_UpdateTenantRequest()
        update.tenant = "acme"
        update.status = status
        _ = try await fixture.admin.operatorClient.updateTenant(update)
    }

    @Test("a wrong password: mail waits with CREDENTIALS_REJECTED, one event; the right password sends it at once")
    func wrongPassword() async throws {
        try await Self.withWrongPassword(blockWait: Self.longWait) { fixture in
            let first = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("CREDENTIALS_REJECTED", first.messageID, in: fixture)
            let second = try await fixture.client.sendMail(MailFixture.message(subject: "Invoice 43"))
            try await Task.sleep(for: .seconds(1))
            #expect(try await fixture.get(second.messageID).state == .queued)
            let waiting = try await fixture.get(second.messageID)
            #expect(
                waiting.waitingReason.hasPrefix("waiting: the server cannot take mail (CREDENTIALS_REJECTED)"),
                "\(waiting.waitingReason)"
            )
            #expect(waiting.waitingReason.contains(KnownCause.credentialsRejected.remedy))
            let blocked = try await fixture.events(kind: "server_delivery_blocked")
            #expect(blocked.count == 1, "one event per episode, not per message")
            #expect(blocked.first?.message.contains("CREDENTIALS_REJECTED") == true)
            #expect(try fixture.smtp.received().isEmpty)

            let validation = try await fixture.client.validate("relay", testMessage: false)
            #expect(try validation.check("auth").reason == "CREDENTIALS_REJECTED")
            // The operator sees it on the server: the cause, the server's words, the remedy, the next attempt.
            let blockedServer = try await fixture.admin.operatorClient.getServer(Self.getRequest())
            #expect(blockedServer.deliveryBlock.reason == "CREDENTIALS_REJECTED")
            #expect(blockedServer.deliveryBlock.detail.contains("535"))
            #expect(blockedServer.deliveryBlock.remedy == KnownCause.credentialsRejected.remedy)
            #expect(blockedServer.deliveryBlock.nextProbeAt.date.timeIntervalSinceNow > 60)
            #expect(!blockedServer.hasPausedUntil)
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "acme"
            #expect(
                try await fixture.client.listServers(list).servers.first?.deliveryBlock.reason == "CREDENTIALS_REJECTED"
            )

            try await fixture.putAuth(.basic, username: "billing", password: "right")
            _ = try await fixture.waitFor(first.messageID, state: .sent, limit: .seconds(15))
            let sent = try await fixture.waitFor(second.messageID, state: .sent, limit: .seconds(15))
            #expect(sent.waitingReason.isEmpty)
            #expect(try fixture.smtp.received().count == 2)
            #expect(try await fixture.events(kind: "server_delivery_resumed").count == 1)
            #expect(!(try await fixture.admin.operatorClient.getServer(Self.getRequest()).hasDeliveryBlock))
        }
    }

    static func getRequest() -> Mailgate_V1_GetServerRequest {
        var request = Mailgate_V1_GetServerRequest()
        request.tenant = "acme"
        request.server = "relay"
        return request
    }

    @Test("a server still blocked when a message's retry window ends: the message fails, with the cause as its error")
    func blockOutlastsRetryWindow() async throws {
        try await Self.withWrongPassword(giveUpAfter: .seconds(4), blockWait: .seconds(1)) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let failed = try await fixture.waitFor(sent.messageID, state: .failed, limit: .seconds(30))
            #expect(failed.lastError.contains("CREDENTIALS_REJECTED"), "\(failed.lastError)")
            #expect(failed.lastError.contains("535"), "the server's words: \(failed.lastError)")
            #expect(failed.lastError.contains("for 4 s after it was queued"), "\(failed.lastError)")
            #expect(failed.history.dropLast().allSatisfy { $0.outcome == "deferred" })
            #expect(try await fixture.events(kind: "server_delivery_blocked").count == 1)
            #expect(try fixture.smtp.received().isEmpty)
        }
    }

    @Test("a certificate for another host: mail waits; renewed and validated, it goes out at once")
    func renewedCertificate() async throws {
        try await MailFixture.run(tlsMode: "starttls", renewableCertificate: true, blockWait: Self.longWait) {
            fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("CERTIFICATE_HOST_MISMATCH", sent.messageID, in: fixture)
            #expect(try await fixture.events(kind: "server_delivery_blocked").count == 1)
            let before = try await fixture.client.validate("relay", testMessage: false)
            #expect(try before.check("tls").reason == "CERTIFICATE_HOST_MISMATCH")
            #expect(try fixture.smtp.received().isEmpty)

            try fixture.renewCertificate()
            // The SMTP server reloads on SIGHUP, a moment after it is sent.
            let after = try await eventually(limit: .seconds(10)) {
                let validation = try await fixture.client.validate("relay", testMessage: false)
                return validation.ok ? validation : nil
            }
            #expect(after.ok, "\(after.summary)")
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
            #expect(try fixture.smtp.received().count == 1)
            let resumed = try await fixture.events(kind: "server_delivery_resumed")
            #expect(resumed.first?.message.contains("validation passed") == true)
        }
    }

    @Test("a certificate renewed on the server alone: the next probe finds it and the mail goes out")
    func renewedCertificateFoundByProbe() async throws {
        try await MailFixture.run(tlsMode: "starttls", renewableCertificate: true, blockWait: .seconds(2)) {
            fixture in
            // A first message on the right certificate: the delivery threads hold TLS state.
            try fixture.renewCertificate()
            let before = try await fixture.client.sendMail(MailFixture.message(subject: "before"))
            _ = try await fixture.waitFor(before.messageID, state: .sent, limit: .seconds(15))
            // Renewed wrongly, then rightly, with no operator action in between.
            try Self.serveWrongCertificate(fixture)
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("CERTIFICATE_HOST_MISMATCH", sent.messageID, in: fixture)
            try fixture.renewCertificate()
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(20))
            let resumed = try await fixture.events(kind: "server_delivery_resumed")
            #expect(resumed.first?.message.contains("a delivery attempt reached it") == true)
        }
    }

    @Test(
        "a certificate from a new CA: mail waits with CERTIFICATE_UNTRUSTED; the CA file updated in place and a validation send it at once"
    )
    func newCertificateAuthority() async throws {
        try await MailFixture.run(
            tlsMode: "starttls",
            renewableCertificate: true,
            trustedCertificates: [""],
            blockWait: Self.longWait
        ) { fixture in
            // Mail goes out on the trusted certificate first: the delivery threads have loaded the CA file.
            try fixture.renewCertificate()
            _ = try await Self.validated(fixture) { $0.ok }
            let before = try await fixture.client.sendMail(MailFixture.message(subject: "before"))
            _ = try await fixture.waitFor(before.messageID, state: .sent, limit: .seconds(15))

            // Renewed from another CA (self-signed, for the right host) that the CA file does not hold.
            try MailFixture.serve(prefix: "soon-", in: fixture.certificates)
            fixture.smtp.reloadCertificate()
            _ = try await Self.validated(fixture) {
                $0.checks.contains { $0.name == "tls" && $0.reason == "CERTIFICATE_UNTRUSTED" }
            }
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("CERTIFICATE_UNTRUSTED", sent.messageID, in: fixture)

            // The operator installs the new CA at the same path: nothing else changes.
            try MailFixture.trust(["soon-"], in: fixture.certificates)
            let passed = try await fixture.client.validate("relay", testMessage: false)
            #expect(passed.ok, "\(passed.outline)")
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
            #expect(try fixture.smtp.received().count == 2)
            #expect(try await fixture.events(kind: "server_delivery_resumed").count == 1)
        }
    }

    /// The first validation that `accepts`, retried while the SMTP server reloads its certificate.
    static func validated(
        _ fixture: MailFixture,
        _ accepts: @Sendable (Mailgate_V1_ValidateServerResponse) -> Bool
    ) async throws -> Mailgate_V1_ValidateServerResponse {
        try await eventually(limit: .seconds(10)) {
            let validation = try await fixture.client.validate("relay", testMessage: false)
            return accepts(validation) ? validation : nil
        }
    }

    static func serveWrongCertificate(_ fixture: MailFixture) throws {
        try MailFixture.serve(prefix: "wrong-", in: fixture.certificates)
        fixture.smtp.reloadCertificate()
    }

    @Test(
        "an unknown host or a closed port: mail waits with the cause; pointing the server right sends it at once",
        arguments: [
            ("HOST_NOT_FOUND", "relay.invalid", false),
            ("CONNECTION_REFUSED", "127.0.0.1", true),
        ]
    )
    func unreachable(reason: String, host: String, closedPort: Bool) async throws {
        try await MailFixture.run(blockWait: Self.longWait) { fixture in
            let port = fixture.smtp.port
            // A port nothing listens on: one just bound and closed again.
            let closed = try await ServeProcessTests.freePort()
            try await fixture.reput { request in
                request.host = host
                if closedPort { request.port = UInt32(closed) }
            }
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor(reason, sent.messageID, in: fixture)
            #expect(try await fixture.events(kind: "server_delivery_blocked").count == 1)
            try await fixture.reput { request in
                request.host = "127.0.0.1"
                request.port = UInt32(port)
            }
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
        }
    }

    @Test(
        "a greeting that refuses the session: mail waits; once the server takes sessions again, a validation sends it",
        arguments: [
            (
                "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org",
                "GREETING_REFUSED"
            ),
            ("421 4.3.0 mx.example.org Service not available, closing transmission channel", "TEMPORARILY_REFUSED"),
        ]
    )
    func greetingRefused(greeting: String, reason: String) async throws {
        try await MailFixture.run(blockWait: Self.longWait) { fixture in
            try fixture.smtp.setFaults(greeting: greeting)
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor(reason, sent.messageID, in: fixture)
            let blocked = try await fixture.events(kind: "server_delivery_blocked")
            #expect(blocked.count == 1)
            #expect(blocked.first?.message.contains(String(greeting.prefix(3))) == true, "the event quotes the server")
            let failing = try await fixture.client.validate("relay", testMessage: false)
            #expect(failing.checks.contains { $0.reason == reason }, "\(failing.outline)")

            try fixture.smtp.setFaults()
            let passing = try await fixture.client.validate("relay", testMessage: false)
            #expect(passing.ok, "\(passing.outline)")
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test(
        "the sender refused at MAIL FROM (SendAsDenied): mail waits; only a validation that sends a test message lifts the block"
    )
    func senderRefused() async throws {
        try await MailFixture.run(blockWait: Self.longWait) { fixture in
            try fixture.smtp.setFaults(
                mailFrom: "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
            )
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("SEND_AS_DENIED", sent.messageID, in: fixture)
            #expect(try await fixture.events(kind: "server_delivery_blocked").count == 1)
            let failing = try await fixture.client.validate("relay", testMessage: true)
            #expect(try failing.check("test_message").reason == "SEND_AS_DENIED", "\(failing.outline)")

            // Granted at the provider. A validation without a test message never tried the sender:
            // the block stays.
            try fixture.smtp.setFaults()
            let partial = try await fixture.client.validate("relay", testMessage: false)
            #expect(partial.ok, "\(partial.outline)")
            try await Task.sleep(for: .seconds(1))
            #expect(try await fixture.get(sent.messageID).state == .queued)
            #expect(try await fixture.events(kind: "server_delivery_resumed").isEmpty)

            let full = try await fixture.client.validate("relay", testMessage: true)
            #expect(full.ok, "\(full.outline)")
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
            // The test message and the mail that waited.
            #expect(try fixture.smtp.received().count == 2)
            #expect(try await fixture.events(kind: "server_delivery_resumed").count == 1)
        }
    }

    @Test("STARTTLS required but not offered: mail waits, nothing goes out in plaintext until the operator decides")
    func startTLSNotOffered() async throws {
        try await MailFixture.run(blockWait: Self.longWait) { server in
            server.security = .starttls
        } _: { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            try await Self.waitsFor("STARTTLS_NOT_OFFERED", sent.messageID, in: fixture)
            #expect(try fixture.smtp.received().isEmpty)
            try await fixture.reput { $0.security = .none }
            _ = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(15))
        }
    }

    @Test("a message the server refuses for itself still fails: every recipient refused with 5xx")
    func messageFaultsFail() async throws {
        try await MailFixture.run(smtpArguments: ["--reject-data"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .failed)
            #expect(message.lastError.contains("554"))
            #expect(try await fixture.events(kind: "server_delivery_blocked").isEmpty)
        }
    }

    @Test("a disabled tenant sends nothing: SendMail refused for every key, queued mail held until it is enabled")
    func disabledTenant() async throws {
        try await MailFixture.run { fixture in
            var request = MailFixture.message()
            request.notBefore = .init(date: Date().addingTimeInterval(600))
            let held = try await fixture.client.sendMail(request)
            try await Self.setStatus(.disabled, in: fixture)
            // Due now, while the tenant is disabled.
            _ = try await fixture.admin.database.withClient { postgres in
                try await postgres.query(
                    "UPDATE messages SET next_attempt_at = now(), not_before = NULL",
                    logger: Logger(label: "test")
                )
            }

            let error = await expectRPCError {
                _ = try await fixture.admin.operatorClient.call(
                    "/mailgate.v1.Mailer/SendMail",
                    MailFixture.message(),
                    responseType: Mailgate_V1_SendMailResponse.self,
                    metadata: ["tenant": "acme"]
                )
            }
            #expect(error?.code == .permissionDenied)
            #expect(error?.reason == "TENANT_DISABLED")

            try await Task.sleep(for: .seconds(4))
            // The tenant's own key is refused while it is disabled: an operator reads the message.
            var get = Mailgate_V1_GetMessageRequest()
            get.messageID = held.messageID
            let waiting = try await fixture.admin.operatorClient.call(
                "/mailgate.v1.Mailer/GetMessage",
                get,
                responseType: Mailgate_V1_GetMessageResponse.self,
                metadata: ["tenant": "acme"]
            )
            #expect(waiting.state == .queued, "a disabled tenant's mail went out or failed")
            #expect(waiting.waitingReason.hasPrefix("held: tenant acme is disabled"), "\(waiting.waitingReason)")
            #expect(try fixture.smtp.received().isEmpty)

            try await Self.setStatus(.active, in: fixture)
            // The key cache forgets the disabled state within its 2 s.
            _ = try await fixture.waitFor(held.messageID, state: .sent, limit: .seconds(15))
        }
    }
}
