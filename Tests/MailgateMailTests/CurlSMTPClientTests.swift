import Foundation
import MailgateCore
import MailgateMail
import MailgateTestSupport
import Testing

/// libcurl SMTP against a real aiosmtpd server.
@Suite("SMTP delivery through libcurl")
final class CurlSMTPClientTests {
    let certificates = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mailgate-smtp-certs-\(UUID().uuidString)"
    )
    let pool = SMTPDeliveryPool(threadCount: 2)

    init() throws {
        try FileManager.default.createDirectory(at: self.certificates, withIntermediateDirectories: true)
        try SMTPTestServer.makeCertificates(in: self.certificates)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.certificates)
    }

    func path(_ name: String) -> String { self.certificates.appendingPathComponent(name).path }

    static func message(_ body: String = "Hello.\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\nend\r\n")
        -> [UInt8]
    {
        Array(
            "From: billing@example.com\r\nTo: a@example.com\r\nSubject: test\r\nMessage-ID: <1@example.com>\r\n\r\n\(body)"
                .utf8
        )
    }

    @Test("a message arrives byte for byte, lines starting with a dot included, with AUTH over STARTTLS")
    func starttlsWithAuth() async throws {
        let server = try SMTPTestServer(arguments: [
            "--mode", "starttls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"), "--user", "billing",
            "--password", "s3cret",
        ])
        let endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: server.port,
            security: .starttls,
            authentication: .password(username: "billing", password: Secret("s3cret")),
            caFile: self.path("cert.pem"),
            destinations: .loopbackAllowed
        )
        let message = Self.message()
        let result = try await self.pool.send(
            message: message,
            from: "billing@example.com",
            to: ["a@example.com", "b@example.com"],
            through: endpoint
        )
        #expect(result.outcome == .delivered, "\(result)")
        #expect(result.replyCode == 250)
        #expect(result.reply.contains("queued as 1"))
        let received = try server.received()
        try #require(received.count == 1)
        #expect(Array(received[0].bytes) == message, "byte-correct after dot-stuffing and unstuffing")
        #expect(received[0].envelope["rcpt_tos"] as? [String] == ["a@example.com", "b@example.com"])
        #expect(received[0].envelope["mail_from"] as? String == "billing@example.com")
        #expect(received[0].envelope["tls"] as? Bool == true)
        #expect(received[0].envelope["auth"] as? Bool == true)
    }

    @Test("implicit TLS delivers; consecutive sends from one thread reuse the connection")
    func implicitTLS() async throws {
        let server = try SMTPTestServer(arguments: [
            "--mode", "tls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"),
        ])
        let endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: server.port,
            security: .tls,
            caFile: self.path("cert.pem"),
            destinations: .loopbackAllowed
        )
        let single = SMTPDeliveryPool(threadCount: 1)
        var newConnections = 0
        for _ in 0..<3 {
            let result = try await single.send(
                message: Self.message(),
                from: "billing@example.com",
                to: ["a@example.com"],
                through: endpoint
            )
            #expect(result.outcome == .delivered, "\(result)")
            if result.newConnection { newConnections += 1 }
        }
        #expect(try server.received().count == 3)
        #expect(newConnections == 1)
        try await single.shutdown()
    }

    @Test("STARTTLS required but not offered fails at the tls stage and sends nothing in plaintext")
    func noDowngrade() async throws {
        let server = try SMTPTestServer(arguments: ["--mode", "plain"])
        let endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: server.port,
            security: .starttls,
            destinations: .loopbackAllowed
        )
        let result = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: endpoint
        )
        #expect(result.outcome == .permanentFailure)
        #expect(result.stage == .tls)
        #expect(result.reply.contains("STARTTLS"))
        #expect(try server.received().isEmpty)
    }

    @Test("a certificate for another host or from an unknown CA is refused")
    func certificateChecks() async throws {
        let wrongHost = try SMTPTestServer(arguments: [
            "--mode", "tls", "--cert", self.path("wrong-cert.pem"), "--key", self.path("wrong-key.pem"),
        ])
        var endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: wrongHost.port,
            security: .tls,
            caFile: self.path("wrong-cert.pem"),
            destinations: .loopbackAllowed
        )
        let mismatch = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: endpoint
        )
        #expect(mismatch.outcome == .permanentFailure)
        #expect(mismatch.stage == .tls)

        let unknownCA = try SMTPTestServer(arguments: [
            "--mode", "tls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"),
        ])
        endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: unknownCA.port,
            security: .tls,
            caFile: self.path("wrong-cert.pem"),
            destinations: .loopbackAllowed
        )
        let untrusted = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: endpoint
        )
        #expect(untrusted.outcome == .permanentFailure)
        #expect(untrusted.stage == .tls)
        #expect(try wrongHost.received().isEmpty && unknownCA.received().isEmpty)
    }

    @Test("XOAUTH2 authenticates with the bearer token; a refused token fails at auth, as Exchange refuses it")
    func xoauth2() async throws {
        let server = try SMTPTestServer(arguments: [
            "--mode", "starttls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"),
            "--user", "noreply@contoso.com", "--password", "unused", "--bearer", "good-token",
        ])
        func send(_ token: String) async throws -> SMTPResult {
            let endpoint = SMTPEndpoint(
                host: "127.0.0.1",
                port: server.port,
                security: .starttls,
                authentication: .xoauth2(username: "noreply@contoso.com", accessToken: Secret(token)),
                caFile: self.path("cert.pem"),
                destinations: .loopbackAllowed
            )
            return try await self.pool.send(
                message: Self.message(),
                from: "noreply@contoso.com",
                to: ["a@example.com"],
                through: endpoint
            )
        }
        let accepted = try await send("good-token")
        #expect(accepted.outcome == .delivered, "\(accepted)")
        #expect(try server.received().first?.envelope["auth"] as? Bool == true)
        let refused = try await send("expired-token")
        #expect(refused.outcome == .permanentFailure, "\(refused)")
        #expect(refused.stage == .auth)
        #expect(refused.isAuthenticationRefusal)
        // Exchange's way: a 334 error challenge rather than 235.
        #expect(refused.reply.contains("refused the credentials"), "\(refused)")
        #expect(!refused.reply.contains("expired-token") && !refused.detail.contains("expired-token"))
    }

    @Test("wrong credentials fail at the auth stage with the server's 535")
    func wrongPassword() async throws {
        let server = try SMTPTestServer(arguments: [
            "--mode", "starttls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"), "--user", "billing",
            "--password", "s3cret",
        ])
        let endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: server.port,
            security: .starttls,
            authentication: .password(username: "billing", password: Secret("wrong")),
            caFile: self.path("cert.pem"),
            destinations: .loopbackAllowed
        )
        let result = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: endpoint
        )
        #expect(result.outcome == .permanentFailure, "\(result)")
        #expect(result.stage == .auth)
        #expect(result.replyCode == 535)
        #expect(!result.reply.contains("wrong"), "the password never appears in the result")
    }

    @Test("a refused recipient is reported while the others get the message; all refused is a failure")
    func recipients() async throws {
        let server = try SMTPTestServer(arguments: ["--mode", "plain"])
        let endpoint = SMTPEndpoint(
            host: "127.0.0.1",
            port: server.port,
            security: .none,
            destinations: .loopbackAllowed
        )
        let partial = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com", "reject-me@example.com"],
            through: endpoint
        )
        #expect(partial.outcome == .delivered, "\(partial)")
        #expect(partial.rejectedRecipients.keys.sorted() == ["reject-me@example.com"])
        #expect(partial.rejectedRecipients["reject-me@example.com"]?.hasPrefix("550") == true)
        #expect(try server.received().first?.envelope["rcpt_tos"] as? [String] == ["a@example.com"])

        let none = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["reject-x@example.com"],
            through: endpoint
        )
        #expect(none.outcome == .permanentFailure, "\(none)")
        #expect(none.stage == .rcpt)
        let temporary = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["tempfail-x@example.com"],
            through: endpoint
        )
        #expect(temporary.outcome == .transientFailure, "\(temporary)")
        #expect(temporary.replyCode == 451)
    }

    @Test("a 5xx answer to DATA is permanent; a refused connection is transient at the connect stage")
    func failures() async throws {
        let server = try SMTPTestServer(arguments: ["--mode", "plain", "--reject-data"])
        let rejected = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: SMTPEndpoint(host: "127.0.0.1", port: server.port, security: .none, destinations: .loopbackAllowed)
        )
        #expect(rejected.outcome == .permanentFailure, "\(rejected)")
        #expect(rejected.replyCode == 554)
        #expect(rejected.reply.contains("spam"))

        let closed = try await self.pool.send(
            message: Self.message(),
            from: "billing@example.com",
            to: ["a@example.com"],
            through: SMTPEndpoint(host: "127.0.0.1", port: 1, security: .none, destinations: .loopbackAllowed)
        )
        #expect(closed.outcome == .transientFailure)
        #expect(closed.stage == .connect)
    }

    @Test("opportunistic: STARTTLS when offered (and verified), plaintext when not; a failed TLS is no downgrade")
    func opportunistic() async throws {
        let plain = try SMTPTestServer(arguments: ["--mode", "plain"])
        let starttls = try SMTPTestServer(arguments: [
            "--mode", "starttls", "--cert", self.path("cert.pem"), "--key", self.path("key.pem"),
        ])
        func send(to server: SMTPTestServer, caFile: String?) async throws -> SMTPResult {
            try await self.pool.send(
                message: Self.message(),
                from: "billing@example.com",
                to: ["a@example.com"],
                through: SMTPEndpoint(
                    host: "127.0.0.1",
                    port: server.port,
                    security: .opportunistic,
                    caFile: caFile,
                    destinations: .loopbackAllowed
                )
            )
        }
        #expect(try await send(to: plain, caFile: nil).outcome == .delivered)
        #expect(try plain.received().first?.envelope["tls"] as? Bool == false)

        #expect(try await send(to: starttls, caFile: self.path("cert.pem")).outcome == .delivered)
        #expect(try starttls.received().first?.envelope["tls"] as? Bool == true)

        // Offered but not trusted: the transfer fails rather than going on in plaintext.
        let untrusted = try await send(to: starttls, caFile: nil)
        #expect(untrusted.outcome != .delivered)
        #expect(untrusted.stage == .tls)
        #expect(try starttls.received().count == 1)
    }
}
