import Foundation
import MailgateService
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

@Suite("Secrets at rest")
struct SecretsAtRestTests {
    @Test("no secret appears in any database column, log line or RPC response")
    func noPlaintextAnywhere() async throws {
        let capture = LogCapture()
        let secrets = (1...4).map { "secret-\($0)-\(UUID().uuidString)" }
        try await AdminFixture.run(logger: capture.logger()) { fixture in
            try await fixture.createTenant("vaulted")
            var responses: [Data] = []
            responses.append(
                try await fixture.putBasicServer("basic", tenant: "vaulted", password: secrets[0]).serializedData()
            )
            var oauth = AdminFixture.microsoftServerRequest("oauth", tenant: "vaulted", clientSecret: secrets[1])
            oauth.oauth.flow = .authorizationCode
            oauth.refreshToken.value = secrets[2]
            responses.append(try await fixture.operatorClient.putServer(oauth).serializedData())
            // A failed put carrying a secret must not echo it either.
            var bad = AdminFixture.basicServerRequest("bad", tenant: "vaulted", password: secrets[3])
            bad.host = "not a host"
            let error = await expectRPCError { _ = try await fixture.operatorClient.putServer(bad) }
            #expect(!(error?.description.contains(secrets[3]) ?? true))
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "vaulted"
            responses.append(try await fixture.operatorClient.listServers(list).serializedData())
            var events = Mailgate_V1_ListEventsRequest()
            events.tenant = "vaulted"
            responses.append(try await fixture.operatorClient.listEvents(events).serializedData())

            let dump = try await databaseDump(fixture.database)
            for secret in secrets {
                #expect(!dump.contains(secret), "the database holds a secret in plaintext")
                #expect(
                    !dump.contains(Data(secret.utf8).map { String(format: "%02x", $0) }.joined()),
                    "the database holds a secret as hex"
                )
                #expect(
                    !dump.contains(Data(secret.utf8).base64EncodedString()),
                    "the database holds a secret as base64"
                )
                for response in responses { #expect(response.range(of: Data(secret.utf8)) == nil) }
            }
            #expect(dump.contains("v1:"), "the sealed values are there")
        }
        let logs = capture.text
        #expect(logs.contains("server created"), "the logs were captured")
        for secret in secrets { #expect(!logs.contains(secret), "a secret was logged") }
    }

    @Test("a ciphertext moved to another row or column does not open, and the error names the server")
    func additionalDataBindsRows() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("swap")
            let source = try await fixture.putBasicServer("source", tenant: "swap", password: "source-password")
            let target = try await fixture.putBasicServer("target", tenant: "swap", password: "target-password")
            try await fixture.database.withClient { postgres in
                let logger = Logger(label: "test")
                let repository = ServerRepository(client: postgres, vault: fixture.application.vault, logger: logger)
                let tenantID = UUID(uuidString: source.tenantID)!
                let before = try #require(try await repository.find(tenantID: tenantID, idOrName: "target"))
                #expect(
                    try before.openSecret(.password, with: fixture.application.vault)?.exposedValue == "target-password"
                )

                try await postgres.query(
                    """
                    UPDATE output_servers SET password_sealed = (SELECT password_sealed FROM output_servers WHERE name = 'source')
                    WHERE name = 'target'
                    """,
                    logger: logger
                )
                let swapped = try #require(try await repository.find(tenantID: tenantID, idOrName: "target"))
                let error = #expect(throws: StoreError.self) {
                    _ = try swapped.openSecret(.password, with: fixture.application.vault)
                }
                #expect(error?.code == .secretUnreadable)
                #expect(error?.message.contains(target.id) == true)
                #expect(error?.message.contains("source-password") == false)

                // Copying into another column of the same row fails the same way.
                try await postgres.query(
                    "UPDATE output_servers SET client_secret_sealed = password_sealed WHERE name = 'source'",
                    logger: logger
                )
                let moved = try #require(try await repository.find(tenantID: tenantID, idOrName: "source"))
                #expect(throws: StoreError.self) {
                    _ = try moved.openSecret(.clientSecret, with: fixture.application.vault)
                }
                #expect(
                    try moved.openSecret(.password, with: fixture.application.vault)?.exposedValue == "source-password"
                )
            }
        }
    }

    @Test("rotation re-seals under the new key, survives a stop half-way, and the old key can then go")
    func rotation() async throws {
        let oldKey = "1:\(MasterKeyRing.randomKeyBase64())"
        let newKey = "2:\(MasterKeyRing.randomKeyBase64())"
        let oldRing = try MasterKeyRing(parsing: oldKey)
        try await AdminFixture.run(masterKeys: oldRing) { fixture in
            try await fixture.createTenant("rotating")
            for index in 0..<5 {
                try await fixture.putBasicServer("server-\(index)", tenant: "rotating", password: "password-\(index)")
            }
            try await fixture.database.withClient { postgres in
                let logger = Logger(label: "test")
                // A consent in progress: its PKCE verifier is sealed with the old key too.
                let tenantID = try await fixture.tenantID("rotating")
                let serverID = try #require(
                    try await ServerRepository(client: postgres, vault: Vault(keyRing: oldRing), logger: logger)
                        .find(tenantID: tenantID, idOrName: "server-0")
                ).id
                try await AuthorizationRepository(client: postgres, vault: Vault(keyRing: oldRing), logger: logger)
                    .begin(
                        state: "consent-state",
                        tenantID: tenantID,
                        serverID: serverID,
                        keyID: "k",
                        verifier: Secret("the-pkce-verifier-of-this-consent"),
                        redirectURI: "http://localhost/oauth/callback",
                        expiresAt: Date().addingTimeInterval(600)
                    )
                let bothRing = try MasterKeyRing(parsing: "\(oldKey)\n\(newKey)")
                let rotation = VaultRotation(client: postgres, vault: Vault(keyRing: bothRing), logger: logger)

                // The first run stops after one batch of two servers, as a crash would.
                let partial = try await rotation.run(batchSize: 2, maximumBatches: 1)
                #expect(partial.resealed == 2)
                #expect(!partial.complete)
                #expect(try await sealedKeyIDs(postgres).sorted() == [1, 1, 1, 2, 2])

                // Mid-rotation, every secret still opens with the ring of both keys.
                try await expectPasswordsOpen(postgres, ring: bothRing, tenantID: fixture.tenantID("rotating"))

                let resumed = try await rotation.run(batchSize: 2)
                #expect(resumed.resealed == 3)
                #expect(resumed.consentVerifiers == 1)
                #expect(resumed.complete)
                #expect(
                    try await MasterKeyUsage(client: postgres, logger: logger).sealedValuesByKey().keys.sorted() == [2]
                )
                #expect(resumed.unreadable.isEmpty)
                #expect(try await sealedKeyIDs(postgres) == [2, 2, 2, 2, 2])
                #expect(try await rotation.run().resealed == 0, "a second run finds nothing to do")

                // The old key can leave the ring now.
                let newOnly = try MasterKeyRing(parsing: newKey)
                try await expectPasswordsOpen(postgres, ring: newOnly, tenantID: fixture.tenantID("rotating"))
                let consent = try await AuthorizationRepository(
                    client: postgres,
                    vault: Vault(keyRing: newOnly),
                    logger: logger
                )
                .take(state: "consent-state", keyID: "k")
                #expect(try consent.get().verifier.exposedValue == "the-pkce-verifier-of-this-consent")

                // The old ring alone can no longer open them, and says which key it lacks.
                let repository = ServerRepository(client: postgres, vault: Vault(keyRing: oldRing), logger: logger)
                let server = try #require(
                    try await repository.find(tenantID: try await fixture.tenantID("rotating"), idOrName: "server-0")
                )
                let error = #expect(throws: StoreError.self) {
                    _ = try server.openSecret(.password, with: Vault(keyRing: oldRing))
                }
                #expect(error?.message.contains("master key 2") == true)
            }
        }
    }
}

extension AdminFixture {
    func tenantID(_ slug: String) async throws -> UUID {
        var request = Mailgate_V1_GetTenantRequest()
        request.tenant = slug
        return UUID(uuidString: try await self.operatorClient.getTenant(request).id)!
    }
}

/// The master key id of every sealed password, by server name.
private func sealedKeyIDs(_ postgres: PostgresClient) async throws -> [UInt32] {
    let rows = try await postgres.query(
        "SELECT password_sealed FROM output_servers ORDER BY name",
        logger: Logger(label: "test")
    )
    var ids: [UInt32] = []
    for try await sealed in rows.decode(String.self) { ids.append(Vault.keyID(of: sealed) ?? 0) }
    return ids
}

private func expectPasswordsOpen(_ postgres: PostgresClient, ring: MasterKeyRing, tenantID: UUID) async throws {
    let vault = Vault(keyRing: ring)
    let repository = ServerRepository(client: postgres, vault: vault, logger: Logger(label: "test"))
    for index in 0..<5 {
        let server = try #require(try await repository.find(tenantID: tenantID, idOrName: "server-\(index)"))
        #expect(try server.openSecret(.password, with: vault)?.exposedValue == "password-\(index)")
    }
}

/// Every row of every table in the public schema, as JSON text (bytea as hex).
func databaseDump(_ database: TestDatabase) async throws -> String {
    try await database.withClient { postgres in
        let logger = Logger(label: "test")
        var tables: [String] = []
        for try await name in try await postgres.query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            logger: logger
        ).decode(String.self) {
            tables.append(name)
        }
        #expect(tables.contains("output_servers"))
        var dump = ""
        for table in tables {
            let rows = try await postgres.query(
                "SELECT row_to_json(t)::text FROM \(unescaped: table) t",
                logger: logger
            )
            for try await row in rows.decode(String.self) { dump += row + "\n" }
        }
        return dump
    }
}

@Suite("Master keys still in use")
struct MasterKeysInUseTests {
    @Test("a reload that drops a key still sealing secrets is refused; after vault rotate it is taken")
    func reloadKeepsKeysInUse() async throws {
        let oldKey = "1:\(MasterKeyRing.randomKeyBase64())"
        let newKey = "2:\(MasterKeyRing.randomKeyBase64())"
        let oldRing = try MasterKeyRing(parsing: oldKey)
        let bothRing = try MasterKeyRing(parsing: "\(oldKey)\n\(newKey)")
        let newOnly = try MasterKeyRing(parsing: newKey)
        try await AdminFixture.run(masterKeys: oldRing) { fixture in
            try await fixture.createTenant("acme")
            try await fixture.putBasicServer("relay", tenant: "acme", password: "a-password")
            // Adding a key is fine; it becomes the active one.
            try await fixture.application.reload(ReloadableSettings(masterKeys: bothRing, tls: nil))
            let refused = await #expect(throws: ReloadError.self) {
                try await fixture.application.reload(ReloadableSettings(masterKeys: newOnly, tls: nil))
            }
            #expect(
                refused?.description.contains("drops key 1 (1 sealed values)") == true,
                "\(refused?.description ?? "")"
            )
            #expect(refused?.description.contains("vault rotate") == true)
            #expect(fixture.application.vault.keyRing.keyIDs == [1, 2], "the running ring stays")

            try await fixture.database.withClient { postgres in
                let report = try await VaultRotation(
                    client: postgres,
                    vault: Vault(keyRing: bothRing),
                    logger: Logger(label: "test")
                )
                .run()
                #expect(report.complete)
            }
            try await fixture.application.reload(ReloadableSettings(masterKeys: newOnly, tls: nil))
            #expect(fixture.application.vault.keyRing.keyIDs == [2])
        }
    }
}
