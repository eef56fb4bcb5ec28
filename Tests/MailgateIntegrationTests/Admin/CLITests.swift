import Foundation
import MailgateClient
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import MailgateTestSupport
import Testing

/// The operator CLI as a person or script runs it, against a running server and its database.
@Suite("Operator CLI")
struct CLITests {
    static var executable: URL { repositoryRoot().appendingPathComponent(".build/debug/mailgate") }

    /// Runs the CLI; returns exit status and standard output.
    static func mailgate(_ arguments: [String], _ environment: [String: String]) async throws -> (Int32, String) {
        try await runProgram(Self.executable, arguments, environment: environment)
    }

    @Test("tenant update sets a tenant's own quotas and delivery weight; default returns a quota to the setting")
    func tenantQuotas() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "swift build first")
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("quota-cli")
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            func tenant(_ arguments: [String]) async throws -> [String: String] {
                let (status, output) = try await Self.mailgate(
                    ["tenant"] + arguments + ["--format", "json"],
                    environment
                )
                #expect(status == 0, "\(output)")
                return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String])
            }
            let set = try await tenant([
                "update", "quota-cli", "--quota-sends-per-minute", "600", "--quota-queued-messages", "0",
                "--delivery-weight", "3",
            ])
            #expect(set["quota_sends_per_minute"] == "600")
            #expect(set["quota_queued_messages"] == "unlimited")
            #expect(set["delivery_weight"] == "3")
            // Only the quota named changes; the other one set before stays.
            let reset = try await tenant(["update", "quota-cli", "--quota-queued-messages", "default"])
            #expect(reset["quota_queued_messages"] == "1000000")
            #expect(reset["quota_sends_per_minute"] == "600")
            let shown = try await tenant(["get", "quota-cli"])
            #expect(shown["quota_queued_messages"] == "1000000 (used 0)")

            let (status, _) = try await Self.mailgate(
                ["tenant", "update", "quota-cli", "--quota-queued-bytes", "lots"],
                environment
            )
            #expect(status != 0)
        }
    }

    @Test("bootstrap, tenants, keys, servers from a YAML file with a secret file, events and rotation")
    func operatorSession() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "swift build first")
        let oldKey = "1:\(MasterKeyRing.randomKeyBase64())"
        try await AdminFixture.run(masterKeys: try MasterKeyRing(parsing: oldKey)) { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "mailgate-cli-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }

            // Bootstrap an operator key straight in the database.
            let (createStatus, operatorKey) = try await Self.mailgate(
                ["key", "create-operator"],
                ["MAILGATE_DATABASE_URL": fixture.database.url]
            )
            #expect(createStatus == 0)
            #expect(APIKey(parsing: operatorKey) != nil)
            let (jsonStatus, jsonKey) = try await Self.mailgate(
                ["key", "create-operator", "--format", "json"],
                ["MAILGATE_DATABASE_URL": fixture.database.url]
            )
            let made = try JSONSerialization.jsonObject(with: Data(jsonKey.utf8)) as? [String: String]
            #expect(jsonStatus == 0 && made?["key"].flatMap(APIKey.init(parsing:))?.id == made?["key_id"])
            let (migrated, migrations) = try await Self.mailgate(
                ["migrate", "--status", "--format", "json"],
                [
                    "MAILGATE_DATABASE_URL": fixture.database.url,
                    "MAILGATE_MIGRATIONS_DIR": repositoryRoot().appendingPathComponent("migrations").path,
                ]
            )
            let state = try JSONSerialization.jsonObject(with: Data(migrations.utf8)) as? [String: Any]
            #expect(
                migrated == 0 && state?["current"] as? Bool == true && (state?["pending"] as? [Int])?.isEmpty == true
            )
            let (generated, keyLine) = try await Self.mailgate(["vault", "generate-key", "7", "--format", "json"], [:])
            let entry = try JSONSerialization.jsonObject(with: Data(keyLine.utf8)) as? [String: Any]
            #expect(generated == 0 && entry?["id"] as? Int == 7)
            #expect((try? MasterKeyRing(parsing: entry?["line"] as? String ?? ""))?.activeKeyID == 7)
            let environment = ["MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)", "MAILGATE_KEY": operatorKey]

            #expect(
                try await Self.mailgate(
                    ["tenant", "create", "cli-tenant", "--alert-contact", "ops@example.com"],
                    environment
                ).0 == 0
            )
            let (keyStatus, keyJSON) = try await Self.mailgate(
                ["key", "create", "--tenant", "cli-tenant", "--format", "json"],
                environment
            )
            #expect(keyStatus == 0)
            let created = try JSONSerialization.jsonObject(with: Data(keyJSON.utf8)) as? [String: String]
            let tenantKey = try #require(created?["key"])

            let yaml = folder.appendingPathComponent("server.yaml")
            try """
            name: relay
            host: smtp.example.com
            port: 587
            security: starttls
            sender_name: Billing
            sender_address: billing@example.com
            auth_type: basic
            username: billing
            """.write(to: yaml, atomically: true, encoding: .utf8)
            let passwordFile = folder.appendingPathComponent("password")
            let password = "cli-password-\(UUID().uuidString)"
            try (password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
            let (putStatus, putOutput) = try await Self.mailgate(
                [
                    "server", "put", "--tenant", "cli-tenant", "--file", yaml.path, "--password-file",
                    passwordFile.path, "--format", "json",
                ],
                environment
            )
            #expect(putStatus == 0)
            #expect(!putOutput.contains(password))

            let (listStatus, listJSON) = try await Self.mailgate(
                ["server", "list", "--tenant", "cli-tenant", "--format", "json"],
                environment
            )
            #expect(listStatus == 0)
            let servers = try JSONSerialization.jsonObject(with: Data(listJSON.utf8)) as? [[String: String]]
            #expect(servers?.map { $0["name"] } == ["relay"])
            #expect(servers?.first?["default"] == "yes")

            // The tenant key reads its servers but cannot change them.
            let tenantEnvironment = ["MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)", "MAILGATE_KEY": tenantKey]
            #expect(try await Self.mailgate(["server", "get", "relay"], tenantEnvironment).0 == 0)
            #expect(try await Self.mailgate(["server", "delete", "relay"], tenantEnvironment).0 == 2)

            // A bad put exits 2 and stores nothing.
            #expect(
                try await Self.mailgate(
                    ["server", "put", "broken", "--tenant", "cli-tenant", "--host", "no such host"],
                    environment
                ).0 == 2
            )

            let (eventsStatus, events) = try await Self.mailgate(
                ["events", "--tenant", "cli-tenant", "--format", "json"],
                environment
            )
            #expect(eventsStatus == 0)
            #expect(events.contains("server_created"))

            // Rotation to a second key, then the ring of only the new key opens the password.
            let newKey = "2:\(MasterKeyRing.randomKeyBase64())"
            let rotate = try await Self.mailgate(
                ["vault", "rotate", "--format", "json"],
                ["MAILGATE_DATABASE_URL": fixture.database.url, "MAILGATE_MASTER_KEYS": "\(oldKey),\(newKey)"]
            )
            #expect(rotate.0 == 0)
            let rotated = try JSONSerialization.jsonObject(with: Data(rotate.1.utf8)) as? [String: Any]
            #expect(rotated?["resealed_secrets"] as? Int == 1 && rotated?["complete"] as? Bool == true)
            #expect(rotated?["active_key"] as? Int == 2)
            let tenantID = try await fixture.tenantID("cli-tenant")
            let server = try await fixture.database.withClient { postgres in
                try await MailgateStoreProbe.server(postgres, tenantID: tenantID, name: "relay")
            }
            let newVault = Vault(keyRing: try MasterKeyRing(parsing: newKey))
            #expect(try server.openSecret(.password, with: newVault)?.exposedValue == password)
        }
    }
}

/// `mailgate call` and `mailgate proto`: any method from the command line, and the contract.
@Suite("CLI: call and proto")
struct CallCLITests {
    @Test("every method the server registers is callable by name, and the embedded contract lists the same")
    func methodsComplete() async throws {
        try await AdminFixture.run { fixture in
            #expect(MailgateMethods.all.map(\.name).sorted() == fixture.application.router.methodNames)
        }
        let (status, listing) = try await CLITests.mailgate(["proto"], [:])
        #expect(status == 0)
        let listed = listing.split(separator: "\n").compactMap { $0.split(separator: " ").first }
            .filter { $0.hasPrefix("/") }.map(String.init).sorted()
        #expect(listed == MailgateMethods.all.map(\.name).sorted())
    }

    @Test("call takes and prints protobuf JSON; an error status exits 2 with its fields; bad JSON exits 64")
    func call() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await AdminFixture.run { fixture in
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            let (whoStatus, who) = try await CLITests.mailgate(["call", "/mailgate.v1.Health/WhoAmI"], environment)
            #expect(whoStatus == 0)
            let identity = try #require(try JSONSerialization.jsonObject(with: Data(who.utf8)) as? [String: Any])
            #expect(identity["key_id"] as? String == testOperatorKey.id && identity["scope"] as? String == "operator")
            let (created, tenant) = try await CLITests.mailgate(
                ["call", "CreateTenant", "--data", #"{"slug": "acme", "displayName": "Acme"}"#],
                environment
            )
            let made = try JSONSerialization.jsonObject(with: Data(tenant.utf8)) as? [String: Any]
            #expect(created == 0 && made?["slug"] as? String == "acme" && made?["display_name"] as? String == "Acme")
            let (refused, _) = try await CLITests.mailgate(
                ["call", "Admin/CreateTenant", "--data", #"{"slug": "X"}"#],
                environment
            )
            #expect(refused == 2)
            let (malformed, _) = try await CLITests.mailgate(
                ["call", "CreateTenant", "--data", #"{"slug": 7, "nope": true}"#],
                environment
            )
            #expect(malformed == 64)
            let (unknown, _) = try await CLITests.mailgate(["call", "Nope"], environment)
            #expect(unknown == 64)
        }
    }
}
