import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import SwiftProtobuf
import Testing

@Suite("GetMessage by the RFC 5322 Message-ID header")
struct GetMessageByHeaderTests {
    @Test("the Message-ID SendMail reported finds the message, with or without angle brackets, in its tenant only")
    func byHeader() async throws {
        try await MailFixture.run(workers: 0) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            #expect(sent.rfc822MessageID.hasPrefix("<") && sent.rfc822MessageID.hasSuffix(">"))
            let bare = String(sent.rfc822MessageID.dropFirst().dropLast())
            for form in [sent.rfc822MessageID, bare, " \(sent.rfc822MessageID) "] {
                let message = try await fixture.get(form)
                #expect(message.messageID == sent.messageID, "\(form)")
                #expect(message.rfc822MessageID == sent.rfc822MessageID)
            }
            #expect(try await fixture.get(sent.messageID).rfc822MessageID == sent.rfc822MessageID)

            let unknown = await expectRPCError { _ = try await fixture.get("<nobody@acme.example>") }
            #expect(unknown?.code == .notFound)
            for malformed in ["not-an-id", "<a b@c>", "@acme.example", "<>"] {
                let error = await expectRPCError { _ = try await fixture.get(malformed) }
                #expect(error?.code == .invalidArgument, "\(malformed)")
                #expect(error?.fieldViolations.first?.field == "message_id")
            }

            _ = try await fixture.admin.createTenant("other")
            let other = fixture.admin.client(apiKey: try await fixture.admin.createTenantKey("other"))
            defer { Task { await other.close() } }
            let foreign = await expectRPCError {
                _ = try await other.getMessage(.with { $0.messageID = sent.rfc822MessageID })
            }
            #expect(foreign?.code == .notFound, "another tenant's message is not found by its header either")

            let operatorClient = fixture.admin.operatorClient(actingIn: "acme")
            defer { Task { await operatorClient.close() } }
            let byOperator = try await operatorClient.getMessage(.with { $0.messageID = bare })
            #expect(byOperator.messageID == sent.messageID)
        }
    }
}
