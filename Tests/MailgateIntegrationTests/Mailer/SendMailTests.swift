import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import SwiftProtobuf
import Testing

@Suite("SendMail delivers through a real SMTP server")
struct SendMailTests {
    @Test("a message arrives byte-correct: headers, MIME parts, dot-stuffed lines, Bcc only in the envelope")
    func deliversMessage() async throws {
        try await MailFixture.run { fixture in
            var request = MailFixture.message(to: ["alice@example.org"], subject: "Grüße zum Rechnungsabschluss")
            var cc = Mailgate_V1_EmailAddress()
            cc.address = "carol@example.org"
            request.cc = [cc]
            var bcc = Mailgate_V1_EmailAddress()
            bcc.address = "auditor@example.net"
            request.bcc = [bcc]
            request.textBody = "Line one\n.leading dot line\n..two dots\nend"
            request.htmlBody = "<p>Hello</p>"
            var attachment = Mailgate_V1_Attachment()
            attachment.filename = "invoice.pdf"
            attachment.contentType = "application/pdf"
            attachment.content = Data((0..<3000).map { UInt8($0 % 256) })
            request.attachments = [attachment]
            request.tags = ["invoice": "42"]

            let response = try await fixture.client.sendMail(request)
            #expect(response.state == .queued)
            #expect(response.rfc822MessageID.hasSuffix("@acme.example>"))
            let message = try await fixture.waitFor(response.messageID, state: .sent)
            #expect(message.attempts == 1)
            #expect(message.history.map(\.outcome) == ["delivered"])
            #expect(
                message.recipientResults.map(\.address).sorted() == [
                    "alice@example.org", "auditor@example.net", "carol@example.org",
                ]
            )
            #expect(message.recipientResults.allSatisfy { $0.replyCode == 250 })
            #expect(message.tags == ["invoice": "42"])
            #expect(message.hasSentAt)

            let received = try fixture.smtp.received()
            try #require(received.count == 1)
            #expect(received[0].envelope["mail_from"] as? String == "billing@acme.example")
            #expect(
                Set(received[0].envelope["rcpt_tos"] as? [String] ?? []) == [
                    "alice@example.org", "carol@example.org", "auditor@example.net",
                ]
            )
            let text = String(decoding: received[0].bytes, as: UTF8.self)
            #expect(text.contains("Message-ID: \(response.rfc822MessageID)\r\n"))
            #expect(text.contains("From: Acme Billing <billing@acme.example>\r\n"))
            #expect(!text.lowercased().contains("auditor@example.net"), "Bcc must not appear in the message")
            #expect(text.contains("multipart/mixed"))
            #expect(text.contains("multipart/alternative"))
            #expect(text.contains("filename=invoice.pdf") || text.contains("filename=\"invoice.pdf\""))
            // The server un-stuffs dots: the stored message has the caller's lines exactly.
            #expect(text.contains("\r\n.leading dot line\r\n..two dots\r\n"))
        }
    }

    @Test("STARTTLS with a private CA and AUTH PLAIN/LOGIN delivers; the password is checked")
    func starttlsAndBasicAuth() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", "s3cret pass"],
            tlsMode: "starttls"
        ) { server in
            server.authType = .basic
            server.username = "billing"
            server.password.value = "s3cret pass"
        } _: { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            _ = try await fixture.waitFor(sent.messageID, state: .sent)
            let envelope = try fixture.smtp.received().first?.envelope ?? [:]
            #expect(envelope["auth"] as? Bool == true)
            #expect(envelope["tls"] as? Bool == true)
        }
    }

    @Test("implicit TLS delivers")
    func implicitTLS() async throws {
        try await MailFixture.run(tlsMode: "tls") { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            _ = try await fixture.waitFor(sent.messageID, state: .sent)
            // The server speaks nothing but TLS on this port, so arriving at all proves it.
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("invalid input is INVALID_ARGUMENT with field violations, and nothing is queued")
    func invalidInput() async throws {
        try await MailFixture.run { fixture in
            var request = MailFixture.message(to: ["not an address"], subject: "Hi\r\nBcc: victim@example.org")
            request.tags = ["": "x"]
            let error = await expectRPCError { _ = try await fixture.client.sendMail(request) }
            #expect(error?.code == .invalidArgument)
            let fields = Set(error?.fieldViolations.map(\.field) ?? [])
            #expect(fields.isSuperset(of: ["to[0].address", "subject", "tags[]"]))
            let none = await expectRPCError { _ = try await fixture.client.sendMail(MailFixture.message(to: [])) }
            #expect(none?.code == .invalidArgument)
            let stored = try await fixture.storedMessageCount()
            #expect(stored == 0)
        }
    }

    @Test("the same idempotency key returns the first message; different content is ALREADY_EXISTS")
    func idempotency() async throws {
        try await MailFixture.run { fixture in
            var request = MailFixture.message()
            request.idempotencyKey = "order-42-confirmation"
            let first = try await fixture.client.sendMail(request)
            let again = try await fixture.client.sendMail(request)
            #expect(again.messageID == first.messageID)
            #expect(again.rfc822MessageID == first.rfc822MessageID)
            request.subject = "Something else"
            let conflict = await expectRPCError { _ = try await fixture.client.sendMail(request) }
            #expect(conflict?.code == .alreadyExists)
            _ = try await fixture.waitFor(first.messageID, state: .sent)
            #expect(try fixture.smtp.received().count == 1)
            let stored = try await fixture.storedMessageCount()
            #expect(stored == 1)
        }
    }

    @Test("tenant keys cannot see or cancel another tenant's messages")
    func isolation() async throws {
        try await MailFixture.run { fixture in
            var scheduled = MailFixture.message()
            scheduled.notBefore = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(3600))
            let sent = try await fixture.client.sendMail(scheduled)
            try await fixture.admin.createTenant("globex")
            let other = fixture.admin.client(apiKey: try await fixture.admin.createTenantKey("globex"))
            defer { Task { await other.close() } }
            var get = Mailgate_V1_GetMessageRequest()
            get.messageID = sent.messageID
            #expect(await expectRPCError { _ = try await other.getMessage(get) }?.code == .notFound)
            var cancel = Mailgate_V1_CancelMessageRequest()
            cancel.messageID = sent.messageID
            #expect(await expectRPCError { _ = try await other.cancelMessage(cancel) }?.code == .notFound)
            #expect(try await fixture.get(sent.messageID).state == .queued)
            // The operator reaches it by naming the tenant.
            let operatorClient = fixture.admin.operatorClient(actingIn: "acme")
            defer { Task { await operatorClient.close() } }
            #expect(try await operatorClient.getMessage(get).state == .queued)
        }
    }
}
