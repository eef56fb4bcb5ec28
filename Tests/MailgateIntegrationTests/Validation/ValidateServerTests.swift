import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import Testing

@Suite("ValidateServer against real SMTP servers")
struct ValidateServerTests {
    @Test(
        "STARTTLS with a test CA and PLAIN/LOGIN: every check passes, the test message arrives and is a message GetMessage finds"
    )
    func startTLSSuccess() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", "s3cret pass"],
            tlsMode: "starttls"
        ) { fixture in
            try await fixture.putAuth(.basic, username: "billing", password: "s3cret pass")
            let result = try await fixture.client.validate("relay")
            #expect(result.ok, "\(result.outline)")
            #expect(result.summary == "ok")
            #expect(
                result.checks.map(\.name) == [
                    "dns", "connect", "tls", "ehlo", "token", "auth", "test_message", "backlog", "workers",
                ]
            )
            #expect(try result.check("dns").detail.contains("127.0.0.1 is an IP address"))
            #expect(try result.check("connect").detail.contains("greeting: 220"))
            let tls = try result.check("tls")
            #expect(tls.outcome == .ok)
            #expect(
                tls.detail.contains("STARTTLS: TLSv1.") && tls.detail.contains("certificate")
                    && tls.detail.contains("days)"),
                "\(tls.detail)"
            )
            let ehlo = try result.check("ehlo")
            #expect(
                ehlo.detail.contains("AUTH") && ehlo.detail.contains("LOGIN") && ehlo.detail.contains("PLAIN"),
                "\(ehlo.detail)"
            )
            #expect(ehlo.detail.contains("SIZE") && ehlo.detail.contains("SMTPUTF8"), "\(ehlo.detail)")
            #expect(try result.check("token").outcome == .skipped)
            let auth = try result.check("auth")
            #expect(auth.outcome == .ok && auth.detail.contains("235"), "\(auth.detail)")
            let test = try result.check("test_message")
            #expect(test.outcome == .ok && test.detail.contains("250"), "\(test.detail)")
            #expect(try result.check("workers").outcome == .ok)
            #expect(result.workerRunning)

            let received = try fixture.smtp.received()
            #expect(received.count == 1)
            #expect(
                (received.first?.envelope["rcpt_tos"] as? [String]) == ["billing@acme.example"],
                "sent to the sender address"
            )
            #expect(
                received.first?.envelope["auth"] as? Bool == true && received.first?.envelope["tls"] as? Bool == true
            )
            let message = try await fixture.get(result.testMessageID)
            #expect(message.state == .sent)
            #expect(message.subject.contains("Mailgate test message"))

            var get = Mailgate_V1_GetServerRequest()
            get.server = "relay"
            let server = try await fixture.client.getServer(get)
            #expect(server.lastValidation == "ok" && server.lastValidationOk && server.hasLastValidatedAt)
            let texts = result.checks.map(\.detail) + [server.lastValidation]
            // As typed, and as AUTH PLAIN and LOGIN would carry it.
            let forms = [
                "s3cret", Data("\u{0}billing\u{0}s3cret pass".utf8).base64EncodedString(),
                Data("s3cret pass".utf8).base64EncodedString(),
            ]
            #expect(!texts.contains { text in forms.contains { text.contains($0) } }, "the password never appears")
        }
    }

    @Test("implicit TLS passes; --to sends the test message elsewhere; without a test message nothing is sent")
    func implicitTLS() async throws {
        try await MailFixture.run(tlsMode: "tls") { fixture in
            let result = try await fixture.client.validate("relay", to: "ops@example.net")
            #expect(result.ok, "\(result.outline)")
            #expect(try result.check("tls").detail.hasPrefix("TLSv1."))
            #expect(try result.check("auth").outcome == .skipped)
            #expect((try fixture.smtp.received().first?.envelope["rcpt_tos"] as? [String]) == ["ops@example.net"])

            let quiet = try await fixture.client.validate("relay", testMessage: false)
            #expect(quiet.ok && quiet.testMessageID.isEmpty)
            #expect(try quiet.check("test_message").outcome == .skipped)
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("a certificate for another host, an unknown CA, and no STARTTLS each fail the tls check with their reason")
    func tlsFailures() async throws {
        try await MailFixture.run(tlsMode: "starttls", wrongHost: true) { fixture in
            let result = try await fixture.client.validate("relay")
            let tls = try result.check("tls")
            #expect(
                !result.ok && tls.outcome == .failed && tls.reason == "CERTIFICATE_HOST_MISMATCH",
                "\(result.outline)"
            )
            #expect(!tls.remedy.isEmpty)
            #expect(try result.check("test_message").outcome == .skipped)
            #expect(try fixture.smtp.received().isEmpty)
        }
        try await MailFixture.run(tlsMode: "starttls", trustTestCA: false) { fixture in
            let result = try await fixture.client.validate("relay")
            #expect(try result.check("tls").reason == "CERTIFICATE_UNTRUSTED", "\(result.outline)")
        }
        try await MailFixture.run(server: { $0.security = .starttls }) { fixture in
            let result = try await fixture.client.validate("relay")
            let tls = try result.check("tls")
            #expect(tls.reason == "STARTTLS_NOT_OFFERED", "\(result.outline)")
            #expect(tls.detail.contains("does not offer STARTTLS"))
            #expect(try fixture.smtp.received().isEmpty, "nothing went out in plaintext")
        }
    }

    @Test("a refused port, and a port that accepts and never answers, fail connect within the call's deadline")
    func connectFailures() async throws {
        let silent = try await offCooperativePool { try ScriptedSMTPServer(arguments: ["--silent"]) }
        try await MailFixture.run(server: { $0.port = UInt32(closedPort()) }) { fixture in
            let result = try await fixture.client.validate("relay")
            let connect = try result.check("connect")
            #expect(connect.outcome == .failed && connect.reason == "CONNECTION_REFUSED", "\(result.outline)")
            #expect(connect.remedy.contains("port"))
            #expect(try result.check("tls").outcome == .skipped && result.check("ehlo").outcome == .skipped)

            try await fixture.putPort(silent.port)
            // The 10 s greeting limit ends the wait, well inside the call's 20 s (with a 4 s
            // reserve for the rest of the run): room for a machine loaded by the whole suite,
            // where an 8 s call once ran out before the answer came.
            let quick = try await fixture.client.validate("relay", timeout: .seconds(20))
            let noGreeting = try quick.check("connect")
            #expect(noGreeting.outcome == .failed && noGreeting.reason == "NO_GREETING", "\(quick.outline)")
            #expect(noGreeting.detail.contains("connected to 127.0.0.1"))

            // Too short to try anything: said so, and nothing about the server is stored.
            let failuresBefore = try await fixture.events(kind: "server_validation_failed").count
            do {
                let hurried = try await fixture.client.validate("relay", timeout: .milliseconds(1200))
                #expect(try hurried.check("connect").reason == "DEADLINE_TOO_SHORT", "\(hurried.outline)")
            } catch let error as RPCError {
                // On a loaded machine the call's own overhead can use up 1.2 s: then the client gives up first.
                #expect(error.code == .deadlineExceeded)
                try await Task.sleep(for: .seconds(2))
            }
            #expect(try await fixture.events(kind: "server_validation_failed").count == failuresBefore)
            var get = Mailgate_V1_GetServerRequest()
            get.server = "relay"
            #expect(try await fixture.client.getServer(get).lastValidation == "failed at connect (NO_GREETING)")
        }
    }

    @Test("Exchange's and other servers' refusals each get their reason and remedy", arguments: ScriptedRefusal.all)
    func scriptedRefusals(_ refusal: ScriptedRefusal) async throws {
        let scripted = try await offCooperativePool { try ScriptedSMTPServer(arguments: refusal.arguments) }
        try await MailFixture.run(server: { request in
            request.port = UInt32(scripted.port)
            request.security = Mailgate_V1_Security.none
            if refusal.basic {
                request.authType = .basic
                request.username = "billing@acme.example"
                request.password.value = "wrong horse"
                request.allowPlaintextAuth = true
            }
        }) { fixture in
            let result = try await fixture.client.validate("relay")
            let check = try result.check(refusal.check)
            #expect(!result.ok && check.outcome == .failed, "\(result.outline)")
            #expect(check.reason == refusal.reason, "\(result.outline)")
            #expect(!check.remedy.isEmpty)
            #expect(!result.checks.contains { $0.detail.contains("wrong horse") })
        }
    }

    @Test(
        "a failure raises server_validation_failed with the failing check; the next success raises server_validation_recovered"
    )
    func eventsAndRecovery() async throws {
        try await MailFixture.run(smtpArguments: ["--user", "billing", "--password", "right"], tlsMode: "starttls") {
            fixture in
            try await fixture.putAuth(.basic, username: "billing", password: "wrong")
            let failed = try await fixture.client.validate("relay")
            #expect(!failed.ok && failed.summary == "failed at auth (CREDENTIALS_REJECTED)", "\(failed.outline)")
            let events = try await fixture.events(kind: "server_validation_failed")
            #expect(events.count == 1)
            #expect(
                events.first?.details["check"] == "auth" && events.first?.details["reason"] == "CREDENTIALS_REJECTED"
            )
            #expect(events.first?.severity == .error)
            #expect(!(events.first.map { "\($0)" } ?? "").contains("wrong"), "the password is not in the event")
            var get = Mailgate_V1_GetServerRequest()
            get.server = "relay"
            #expect(try await fixture.client.getServer(get).lastValidationOk == false)

            try await fixture.putAuth(.basic, username: "billing", password: "right")
            let passed = try await fixture.client.validate("relay", testMessage: false)
            #expect(passed.ok, "\(passed.outline)")
            #expect(try await fixture.events(kind: "server_validation_recovered").count == 1)
            _ = try await fixture.client.validate("relay", testMessage: false)
            #expect(try await fixture.events(kind: "server_validation_recovered").count == 1, "recovered only once")
            var list = Mailgate_V1_ListServersRequest()
            list.pageSize = 10
            #expect(try await fixture.client.listServers(list).servers.first?.lastValidation == "ok")
        }
    }

    @Test(
        "backlog and workers: without workers the queued mail and the missing worker are reported; with workers they are not"
    )
    func backlogAndWorkers() async throws {
        try await MailFixture.run(workers: 0) { fixture in
            _ = try await fixture.client.sendMail(MailFixture.message())
            try await fixture.admin.database.withClient { postgres in
                _ = try await postgres.query(
                    "UPDATE messages SET created_at = now() - interval '20 minutes', next_attempt_at = now() - interval '20 minutes'",
                    logger: .init(label: "test")
                )
            }
            let result = try await fixture.client.validate("relay", testMessage: false)
            #expect(result.ok, "warnings do not fail a validation: \(result.outline)")
            #expect(result.summary == "ok with warnings: backlog, workers")
            #expect(!result.workerRunning)
            #expect(result.queuedMessages == 1 && result.oldestQueuedAgeSeconds >= 1200)
            let workers = try result.check("workers")
            #expect(
                workers.outcome == .warning && workers.reason == "NO_DELIVERY_WORKER"
                    && workers.detail.contains("will not be delivered until a worker runs")
            )
            #expect(try result.check("backlog").reason == "MAIL_BACKLOG")
        }
        try await MailFixture.run(workers: 1) { fixture in
            let result = try await fixture.client.validate("relay", testMessage: false)
            #expect(result.workerRunning && result.queuedMessages == 0)
            #expect(try result.check("workers").detail.hasPrefix("1 delivery worker"))
        }
    }

    @Test("concurrent validations of one server share one run and one test message")
    func coalesced() async throws {
        try await MailFixture.run(smtpArguments: ["--delay-ms", "500"]) { fixture in
            let results = try await withThrowingTaskGroup(of: Mailgate_V1_ValidateServerResponse.self) { group in
                for _ in 0..<4 { group.addTask { try await fixture.client.validate("relay") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.ok })
            #expect(Set(results.map(\.testMessageID)).count == 1)
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("bad input: unknown server, a bad test recipient, an operator key without a tenant")
    func badInput() async throws {
        try await MailFixture.run { fixture in
            let missing = await expectRPCError { _ = try await fixture.client.validate("nope") }
            #expect(missing?.code == .notFound)
            let recipient = await expectRPCError {
                _ = try await fixture.client.validate("relay", to: "not an address")
            }
            #expect(recipient?.code == .invalidArgument && recipient?.fieldViolations.first?.field == "test_recipient")
            let noTenant = await expectRPCError { _ = try await fixture.admin.operatorClient.validate("relay") }
            #expect(noTenant?.code == .invalidArgument && noTenant?.reason == "TENANT_REQUIRED")
            let stored = try await fixture.storedMessageCount()
            #expect(stored == 0, "nothing was queued")
        }
    }
}

/// A scripted server's refusal and the check and reason it must give.
struct ScriptedRefusal: Sendable, CustomTestStringConvertible {
    let label: String
    let arguments: [String]
    let basic: Bool
    let check: String
    let reason: String
    var testDescription: String { self.label }

    static let all: [ScriptedRefusal] = [
        .init(
            label: "535 5.7.139 SMTP AUTH disabled",
            arguments: [
                "--auth-reply",
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            ],
            basic: true,
            check: "auth",
            reason: "SMTP_AUTH_DISABLED"
        ),
        .init(
            label: "535 5.7.8 wrong credentials",
            arguments: ["--auth-reply", "535 5.7.8 Error: authentication failed"],
            basic: true,
            check: "auth",
            reason: "CREDENTIALS_REJECTED"
        ),
        .init(
            label: "535 5.7.3 with Basic",
            arguments: ["--auth-reply", "535 5.7.3 Authentication unsuccessful"],
            basic: true,
            check: "auth",
            reason: "CREDENTIALS_REJECTED"
        ),
        .init(
            label: "AUTH mechanism not offered",
            arguments: ["--capabilities", "AUTH XOAUTH2|SIZE 1000"],
            basic: true,
            check: "auth",
            reason: "AUTH_MECHANISM_NOT_OFFERED"
        ),
        .init(
            label: "530 5.7.57 authentication required",
            arguments: ["--mail-reply", "530 5.7.57 Client not authenticated to send mail. [AM0PR01CA0001]"],
            basic: false,
            check: "test_message",
            reason: "AUTHENTICATION_REQUIRED"
        ),
        .init(
            label: "SendAsDenied",
            arguments: [
                "--data-reply",
                "554 5.2.252 SendAsDenied; billing@acme.example not allowed to send as billing@acme.example",
            ],
            basic: true,
            check: "test_message",
            reason: "SEND_AS_DENIED"
        ),
        .init(
            label: "554 greeting",
            arguments: ["--greeting", "554 5.7.1 No SMTP service here"],
            basic: false,
            check: "connect",
            reason: "GREETING_REFUSED"
        ),
    ]
}

/// A loopback port nothing listens on.
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
