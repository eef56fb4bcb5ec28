import MailgateClient
import MailgateProto
import MailgateRPC
import SwiftProtobuf
import Testing

/// A connection takes only small frames until a call on it was authenticated.
@Suite("A large first call on a new connection")
struct LargeFirstCallTests {
    static func largeMessage() -> Mailgate_V1_SendMailRequest {
        MailFixture.message(text: String(repeating: "Invoice line. ", count: 20_000))
    }

    @Test("MailgateClient authenticates first by itself: the call is queued")
    func clientAuthenticatesFirst() async throws {
        try await MailFixture.run(workers: 0) { fixture in
            // The fixture's client has made no call yet: this is its connection's first.
            let sent = try await fixture.client.sendMail(Self.largeMessage())
            #expect(!sent.messageID.isEmpty)
        }
    }

    @Test("a bare connection whose first frame is large gets UNAUTHENTICATED_FRAME_TOO_LARGE, saying what to do")
    func bareConnectionRefused() async throws {
        try await MailFixture.run(workers: 0) { fixture in
            let key = try await fixture.admin.createTenantKey("acme")
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: fixture.admin.port)
            let error = await expectRPCError {
                _ = try await connection.call(
                    method: "/mailgate.v1.Mailer/SendMail",
                    metadata: ["authorization": "Bearer \(key)"],
                    timeout: .seconds(30),
                    payload: try Self.largeMessage().serializedBytes()
                )
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.reason == "UNAUTHENTICATED_FRAME_TOO_LARGE")
            #expect(error?.message.contains("WhoAmI") == true)
            #expect(error?.message.contains(key) == false)
            await connection.close()
        }
    }
}
