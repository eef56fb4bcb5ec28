import Foundation
import Logging
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

@Suite("ValidateServer on an unsaved definition (a draft)")
struct ValidateDraftTests {
    static let password = "dr4ft pass"

    /// A definition of a server like `relay`, with Basic auth, not stored.
    static func draft(_ fixture: MailFixture, name: String = "draft-relay", password: String? = Self.password)
        -> Mailgate_V1_PutServerRequest
    {
        var draft = Mailgate_V1_PutServerRequest()
        draft.name = name
        draft.host = "127.0.0.1"
        draft.port = UInt32(fixture.smtp.port)
        draft.security = .starttls
        draft.senderName = "Acme Billing"
        draft.senderAddress = "billing@acme.example"
        draft.authType = .basic
        draft.username = "billing"
        if let password {
            SecretScan.register(password)
            draft.password.value = password
        }
        return draft
    }

    static func request(_ draft: Mailgate_V1_PutServerRequest, server: String = "", testMessage: Bool = true)
        -> Mailgate_V1_ValidateServerRequest
    {
        var request = Mailgate_V1_ValidateServerRequest()
        request.tenant = "acme"
        request.server = server
        request.draft = draft
        request.sendTestMessage = testMessage
        return request
    }

    /// What a validation could leave behind: servers (with versions and verdicts), events, messages.
    static func stored(_ fixture: MailFixture) async throws -> String {
        try await fixture.admin.database.withClient { postgres in
            let rows = try await postgres.query(
                """
                SELECT coalesce((SELECT string_agg(name || ' v' || version || ' [' || last_validation || ']', ', '
                                             ORDER BY name) FROM output_servers), '')
                       || ' events=' || (SELECT count(*) FROM events)
                       || ' messages=' || (SELECT count(*) FROM messages)
                """,
                logger: Logger(label: "test")
            )
            for try await text in rows.decode(String.self) { return text }
            return ""
        }
    }

    @Test("a draft pointing at a real SMTP server passes every check and sends its test message; nothing is stored")
    func draftPasses() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", Self.password],
            tlsMode: "starttls"
        ) { fixture in
            let before = try await Self.stored(fixture)
            let result = try await fixture.admin.operatorClient.validateServer(
                Self.request(Self.draft(fixture)),
                timeout: .seconds(60)
            )
            #expect(result.ok, "\(result.outline)")
            #expect(try result.check("auth").outcome == .ok)
            let test = try result.check("test_message")
            #expect(test.outcome == .ok && test.detail.contains("not stored"), "\(test.detail)")
            #expect(result.testMessageID.isEmpty, "a draft's test message has no row")
            #expect(try fixture.smtp.received().count == 1)
            #expect(try await Self.stored(fixture) == before)
            let servers = try await fixture.admin.operatorClient.listServers(.with { $0.tenant = "acme" }).servers
            #expect(servers.map(\.name) == ["relay"])
            #expect(!result.checks.contains { $0.detail.contains(Self.password) })
        }
    }

    @Test("a draft with a wrong password fails the auth check and sends nothing")
    func wrongPassword() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", Self.password],
            tlsMode: "starttls"
        ) { fixture in
            let before = try await Self.stored(fixture)
            let result = try await fixture.admin.operatorClient.validateServer(
                Self.request(Self.draft(fixture, password: "not the password")),
                timeout: .seconds(60)
            )
            #expect(!result.ok)
            #expect(try result.check("auth").outcome == .failed, "\(result.outline)")
            #expect(try result.check("test_message").outcome == .skipped)
            #expect(try fixture.smtp.received().isEmpty)
            #expect(try await Self.stored(fixture) == before, "no verdict, event or message for a draft")
        }
    }

    @Test("a draft of a stored server without a password takes the stored one; the stored server stays as it was")
    func storedSecretsFillTheDraft() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", Self.password],
            tlsMode: "starttls"
        ) { fixture in
            try await fixture.putAuth(.basic, username: "billing", password: Self.password)
            let before = try await Self.stored(fixture)
            var draft = Self.draft(fixture, name: "relay", password: nil)
            draft.password.value = ""
            draft.senderName = "Acme Billing (edited)"
            let result = try await fixture.admin.operatorClient.validateServer(
                Self.request(draft, server: "relay", testMessage: false),
                timeout: .seconds(60)
            )
            #expect(result.ok, "\(result.outline)")
            #expect(try result.check("auth").outcome == .ok)

            // Without naming the stored server the same draft has no password: PutServer's rule.
            let alone = await expectRPCError {
                _ = try await fixture.admin.operatorClient.validateServer(Self.request(draft, testMessage: false))
            }
            #expect(alone?.code == .invalidArgument)
            #expect(alone?.fieldViolations.map(\.field) == ["password"])
            #expect(try await Self.stored(fixture) == before)
            let relay = try await fixture.client.getServer(.with { $0.server = "relay" })
            #expect(relay.senderName == "Acme Billing" && relay.lastValidation.isEmpty)
        }
    }

    @Test(
        "a tenant key may not validate a draft; an invalid draft answers like PutServer; a draft of an unknown server is NOT_FOUND"
    )
    func refusals() async throws {
        try await MailFixture.run { fixture in
            let before = try await Self.stored(fixture)
            var request = Self.request(Self.draft(fixture))
            request.tenant = ""
            let denied = await expectRPCError { _ = try await fixture.client.validateServer(request) }
            #expect(denied?.code == .permissionDenied)

            var invalid = Self.draft(fixture)
            invalid.host = ""
            invalid.port = 70000
            let put = await expectRPCError {
                _ = try await fixture.admin.operatorClient.putServer(
                    .with {
                        $0 = invalid
                        $0.tenant = "acme"
                    }
                )
            }
            let draft = await expectRPCError {
                _ = try await fixture.admin.operatorClient.validateServer(Self.request(invalid))
            }
            #expect(draft?.code == .invalidArgument)
            #expect(!(draft?.fieldViolations.isEmpty ?? true))
            let described = { (error: RPCError?) in error?.fieldViolations.map { "\($0.field): \($0.description)" } }
            #expect(described(draft) == described(put), "the same violations as PutServer")

            let unknown = await expectRPCError {
                _ = try await fixture.admin.operatorClient.validateServer(
                    Self.request(Self.draft(fixture), server: "nope")
                )
            }
            #expect(unknown?.code == .notFound)
            #expect(try await Self.stored(fixture) == before)
        }
    }
}
