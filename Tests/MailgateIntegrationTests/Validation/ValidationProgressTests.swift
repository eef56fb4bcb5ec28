import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import Synchronization
import Testing

@Suite("ValidateServer progress for in-process callers")
struct ValidationProgressTests {
    @Test("an in-process caller is told the checks done so far after each step, before the result")
    func progress() async throws {
        try await MailFixture.run(
            smtpArguments: ["--user", "billing", "--password", ValidateDraftTests.password],
            tlsMode: "starttls"
        ) { fixture in
            let reports = Mutex<[[String]]>([])
            var context = CallContext<Principal>(
                method: "/mailgate.v1.Mailer/ValidateServer",
                metadata: [:],
                deadline: .now + .seconds(60),
                peer: PeerAddress(description: "test", limitKey: "test"),
                principal: Principal(keyID: testOperatorKey.id, scope: .operator_),
                logger: Logger(label: "test")
            )
            context.progress = { partial in
                guard let partial = partial as? Mailgate_V1_ValidateServerResponse else { return }
                reports.withLock { $0.append(partial.checks.map(\.name)) }
            }
            let result = try await fixture.admin.application.router.call(
                "/mailgate.v1.Mailer/ValidateServer",
                ValidateDraftTests.request(ValidateDraftTests.draft(fixture)),
                returning: Mailgate_V1_ValidateServerResponse.self,
                context: context
            )
            #expect(result.ok, "\(result.outline)")
            let seen = reports.withLock { $0 }
            #expect(seen.count >= 4, "\(seen)")
            #expect(seen.first == ["dns"])
            // Each report knows at least as much as the one before it; the last is the whole result.
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.0.count <= $0.1.count })
            #expect(Set(seen.last ?? []) == Set(result.checks.map(\.name)))
        }
    }
}
