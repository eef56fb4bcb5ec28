import Foundation
import MailgateCore
import MailgateProto
import MailgateTestSupport
import Testing

@Suite("mailgate server validate")
struct ValidateCLITests {
    @Test("prints the checks as a table with marks and hints, JSON for scripts, and exits 1 when a check failed")
    func validateCommand() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await MailFixture.run(smtpArguments: ["--user", "billing", "--password", "right"], tlsMode: "starttls") {
            fixture in
            try await fixture.putAuth(.basic, username: "billing", password: "right")
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.admin.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            let (status, table) = try await CLITests.mailgate(
                ["server", "validate", "relay", "--tenant", "acme"],
                environment
            )
            #expect(status == 0, "\(table)")
            #expect(table.contains("✓ dns") && table.contains("✓ auth") && table.contains("✓ test_message"), "\(table)")
            #expect(table.contains("result: ok"))
            #expect(try fixture.smtp.received().count == 1)

            let (quiet, json) = try await CLITests.mailgate(
                ["server", "validate", "relay", "--tenant", "acme", "--no-test-message", "--format", "json"],
                environment
            )
            #expect(quiet == 0)
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                "\(json)"
            )
            #expect(object["ok"] as? Bool == true)
            let checks = try #require(object["checks"] as? [[String: Any]])
            #expect(
                checks.first?["name"] as? String == "dns" && checks.first?["outcome"] as? String == "CHECK_OUTCOME_OK"
            )
            #expect(try fixture.smtp.received().count == 1, "--no-test-message sends nothing")

            try await fixture.putAuth(.basic, username: "billing", password: "wrong")
            let (failed, report) = try await CLITests.mailgate(
                ["server", "validate", "relay", "--tenant", "acme", "--to", "ops@example.net"],
                environment
            )
            #expect(failed == 1, "\(report)")
            #expect(
                report.contains("✗ auth") && report.contains("→ ") && report.contains("CREDENTIALS_REJECTED"),
                "\(report)"
            )
            #expect(report.contains("- test_message"))
            #expect(!report.contains("wrong"), "the password is never printed")

            let (missing, _) = try await CLITests.mailgate(
                ["server", "validate", "nope", "--tenant", "acme"],
                environment
            )
            #expect(missing == 2)
        }
    }
}
