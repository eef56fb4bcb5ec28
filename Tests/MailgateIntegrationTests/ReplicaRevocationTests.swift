import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

/// Two `mailgate serve` processes on one database, as two replicas behind a load balancer.
@Suite("Replicas sharing one database")
struct ReplicaRevocationTests {
    @Test("a key revoked through one replica is refused by the other within 5 seconds")
    func revocationAcrossProcesses() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable.path),
            "swift build first"
        )
        try await TestDatabase.withFresh { database in
            let operatorKey = APIKey.generate().presentedForm.exposedValue
            let settings = [
                "MAILGATE_OPS_LISTEN": "127.0.0.1:0", "MAILGATE_CONSOLE_LISTEN": "off", "MAILGATE_LOG_LEVEL": "warning",
            ]
            try await ServeEnvironment.withReplicas(2, database: database, operatorKey: operatorKey, settings) {
                ports in
                let first = MailgateClient(configuration: .init(port: ports[0], apiKey: operatorKey))
                _ = try await eventually(limit: .seconds(30)) { try? await first.whoAmI() }
                try await first.makeTenant("replicated")
                let key = try await first.makeTenantKey("replicated")

                let second = MailgateClient(configuration: .init(port: ports[1], apiKey: key.secret))
                let slug = try await eventually(limit: .seconds(30)) { try? await second.whoAmI().tenantSlug }
                #expect(slug == "replicated", "the second replica accepts (and caches) the key")

                var revoke = Mailgate_V1_RevokeApiKeyRequest()
                revoke.keyID = key.key.id
                _ = try await first.revokeApiKey(revoke)
                let revokedAt = ContinuousClock.now
                let refused = try await eventually(limit: .seconds(5)) {
                    await expectRPCErrorQuietly { _ = try await second.whoAmI() }
                }
                #expect(refused.code == .unauthenticated)
                #expect(ContinuousClock.now - revokedAt < .seconds(5))
                await first.close()
                await second.close()
            }
        }
    }
}
