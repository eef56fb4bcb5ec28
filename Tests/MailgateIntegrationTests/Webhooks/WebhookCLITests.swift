import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateTestSupport
import Testing

@Suite("mailgate webhook")
struct WebhookCLITests {
    @Test("put prints the secret once; list, rotate-secret, deliveries and delete work with --format json")
    func lifecycle() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("cli-hooks")
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            func run(_ arguments: [String]) async throws -> Any {
                let (status, output) = try await CLITests.mailgate(
                    ["webhook"] + arguments + ["--tenant", "cli-hooks", "--format", "json"],
                    environment
                )
                #expect(status == 0, "\(arguments): \(output)")
                return try JSONSerialization.jsonObject(with: Data(output.utf8))
            }
            let put = try #require(
                try await run([
                    "put", "ops", "--url", "https://hooks.example.com/ops", "--kind", "server_updated",
                    "--min-severity", "warning",
                ]) as? [String: String]
            )
            let secret = try #require(put["secret"])
            SecretScan.register(secret)
            #expect(put["created"] == "true" && secret.hasPrefix("whsec_"))

            let listed = try #require(try await run(["list"]) as? [[String: String]])
            #expect(listed.map { $0["name"] } == ["ops"])
            #expect(listed.first?["kinds"] == "server_updated" && listed.first?["min_severity"] == "warning")
            #expect(!"\(listed)".contains(secret))

            let rotated = try #require(try await run(["rotate-secret", "ops"]) as? [String: String])
            SecretScan.register(rotated["secret"] ?? "")
            #expect(rotated["secret"]?.hasPrefix("whsec_") == true && rotated["secret"] != secret)
            #expect((try await run(["deliveries", "ops"]) as? [Any])?.isEmpty == true)
            let test = try #require(try await run(["test", "ops"]) as? [String: String])
            let deliveries = try #require(try await run(["deliveries", "ops"]) as? [[String: String]])
            #expect(deliveries.map { $0["id"] } == [test["delivery_id"]])
            #expect(deliveries.first?["kind"] == "webhook_test" && deliveries.first?["state"] == "pending")
            _ = try await run(["delete", "ops"])
            #expect((try await run(["list"]) as? [Any])?.isEmpty == true)

            let (status, output) = try await CLITests.mailgate(
                ["webhook", "put", "bad", "--url", "http://hooks.example.com", "--tenant", "cli-hooks"],
                environment
            )
            #expect(status == 2, "an INVALID_ARGUMENT answer exits 2: \(output)")
        }
    }
}
