import Foundation
import SwiftProtobuf
import MailgateTestSupport
import MailgateService
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import PostgresNIO
import Testing

@Suite("API keys over RPC")
struct APIKeyTests {
    @Test("a tenant key is shown once, stored as a hash, listed without its secret, and records its use")
    func createAndList() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("keys")
            var request = Mailgate_V1_CreateApiKeyRequest()
            request.scope = .tenant
            request.tenant = "keys"
            request.description_p = "billing service"
            let created = try await fixture.operatorClient.createApiKey(request)
            let key = try #require(APIKey(parsing: created.secret))
            #expect(key.id == created.key.id)
            #expect(key.secret.exposedValue.count == 64, "256 bits of secret")
            #expect(created.key.scope == .tenant)

            let client = fixture.client(apiKey: created.secret)
            let whoami = try await client.whoAmI()
            #expect(whoami.scope == "tenant")
            #expect(whoami.tenantSlug == "keys")

            var list = Mailgate_V1_ListApiKeysRequest()
            list.tenant = "keys"
            let listed = try await fixture.operatorClient.listApiKeys(list)
            #expect(listed.keys.map(\.id) == [key.id])
            #expect(listed.keys[0].hasLastUsedAt, "last_used_at is recorded")
            #expect(listed.keys[0].description_p == "billing service")
            let bytes = try listed.serializedData()
            #expect(bytes.range(of: Data(key.secret.exposedValue.utf8)) == nil)

            // The tenant key lists its own tenant's keys only.
            #expect(try await client.listApiKeys(.init()).keys.map(\.id) == [key.id])

            try await fixture.database.withClient { postgres in
                let rows = try await postgres.query(
                    "SELECT encode(secret_hash, 'hex') FROM api_keys WHERE id = \(key.id)",
                    logger: Logger(label: "test")
                )
                for try await hash in rows.decode(String.self) {
                    #expect(hash == key.secretHash.map { String(format: "%02x", $0) }.joined())
                }
            }
            await client.close()
        }
    }

    @Test("a revoked key is refused within the cache TTL; revoking an unknown key is NOT_FOUND")
    func revoke() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("revoking")
            let secret = try await fixture.createTenantKey("revoking")
            let client = fixture.client(apiKey: secret)
            _ = try await client.whoAmI()
            var revoke = Mailgate_V1_RevokeApiKeyRequest()
            revoke.keyID = APIKey(parsing: secret)!.id
            let revoked = try await fixture.operatorClient.revokeApiKey(revoke)
            #expect(revoked.hasRevokedAt)
            let refused = try await eventually { await expectRPCErrorQuietly { _ = try await client.whoAmI() } }
            #expect(refused.code == .unauthenticated)
            #expect(refused.reason == "INVALID_API_KEY")

            revoke.keyID = "000000000000"
            let unknown = await expectRPCError { _ = try await fixture.operatorClient.revokeApiKey(revoke) }
            #expect(unknown?.code == .notFound)

            let tenantClient = fixture.client(apiKey: try await fixture.createTenantKey("revoking"))
            revoke.keyID = APIKey(parsing: secret)!.id
            let notAllowed = await expectRPCError { _ = try await tenantClient.revokeApiKey(revoke) }
            #expect(notAllowed?.code == .permissionDenied)
            await client.close()
            await tenantClient.close()
        }
    }

    @Test("revocation reaches a second server sharing the database within 5 seconds")
    func revocationAcrossReplicas() async throws {
        try await AdminFixture.run(keyCacheTTL: .seconds(2)) { fixture in
            try await fixture.createTenant("replicated")
            let secret = try await fixture.createTenantKey("replicated")
            try await withRunningApplication(keyCacheTTL: .seconds(2), database: fixture.database) { _, secondPort, _ in
                let onSecond = MailgateClient(configuration: .init(port: secondPort, apiKey: secret))
                #expect(try await onSecond.whoAmI().tenantSlug == "replicated", "the second replica has the key cached")

                var revoke = Mailgate_V1_RevokeApiKeyRequest()
                revoke.keyID = APIKey(parsing: secret)!.id
                _ = try await fixture.operatorClient.revokeApiKey(revoke)
                let revokedAt = ContinuousClock.now
                let refused = try await eventually(limit: .seconds(5)) {
                    await expectRPCErrorQuietly { _ = try await onSecond.whoAmI() }
                }
                #expect(refused.code == .unauthenticated)
                #expect(ContinuousClock.now - revokedAt < .seconds(5))
                await onSecond.close()
            }
        }
    }

    @Test("operator keys can create operator keys and act inside a tenant through metadata")
    func operatorKeys() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("inside")
            var request = Mailgate_V1_CreateApiKeyRequest()
            request.scope = .operator
            request.description_p = "second operator"
            let created = try await fixture.operatorClient.createApiKey(request)
            #expect(created.key.scope == .operator)
            #expect(created.key.tenantID.isEmpty)
            let second = fixture.client(apiKey: created.secret, tenant: "inside")
            #expect(try await second.whoAmI().scope == "operator")
            #expect(try await second.getTenant(.init()).slug == "inside")

            request.tenant = "inside"
            let mixed = await expectRPCError { _ = try await fixture.operatorClient.createApiKey(request) }
            #expect(mixed?.fieldViolations.map(\.field) == ["tenant"])

            var tenantKey = Mailgate_V1_CreateApiKeyRequest()
            tenantKey.scope = .tenant
            let missingTenant = await expectRPCError { _ = try await fixture.operatorClient.createApiKey(tenantKey) }
            #expect(missingTenant?.code == .invalidArgument)
            await second.close()
        }
    }
}
