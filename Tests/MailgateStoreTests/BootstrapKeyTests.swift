import Foundation
import Logging
import MailgateCore
import MailgateStore
import MailgateTestSupport
import Testing

@Suite("The bootstrap operator key")
struct BootstrapKeyTests {
    static let logger = Logger(label: "test")

    @Test("is created, and its secret replaced from the configuration; a tenant key's id is refused, the key untouched")
    func tenantKeyIdRefused() async throws {
        try await TestDatabase.withMigratedClient(logger: Self.logger) { client in
            let keys = APIKeyRepository(client: client, logger: Self.logger)
            let operatorKey = APIKey.generate()
            try await keys.ensureOperatorKey(operatorKey)
            let rotated = try #require(APIKey(parsing: "mgk_\(operatorKey.id)_\(String(repeating: "b", count: 40))"))
            try await keys.ensureOperatorKey(rotated)
            let stored = try #require(try await keys.verificationRecord(id: operatorKey.id))
            #expect(stored.tenantID == nil && stored.secretHash == rotated.secretHash)

            let tenant = try await TenantRepository(client: client, logger: Self.logger)
                .create(slug: "acme", displayName: "Acme", alertContacts: [], actor: "test")
            let (_, tenantKey) = try await keys.create(tenantID: tenant.id, description: "app", actor: "test")
            let sameID = try #require(APIKey(parsing: "mgk_\(tenantKey.id)_\(String(repeating: "c", count: 40))"))
            let refusal = await #expect(throws: StoreError.self) { try await keys.ensureOperatorKey(sameID) }
            #expect(refusal?.message.contains("tenant's API key") == true)
            #expect(refusal?.message.contains("cccc") == false, "the secret is not repeated")
            let untouched = try #require(try await keys.verificationRecord(id: tenantKey.id))
            #expect(untouched.tenantID == tenant.id)
            #expect(untouched.secretHash == tenantKey.secretHash)
        }
    }
}
