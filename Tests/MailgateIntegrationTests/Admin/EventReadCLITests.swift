import Foundation
import MailgateClient
import MailgateProto
import MailgateTestSupport
import Testing

@Suite("mailgate events: read state")
struct EventReadCLITests {
    @Test("`events read ID` and `--all` mark a tenant key's own events; `events --unread` shows what is left")
    func readFromTheCommandLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("cli-reader")
            try await fixture.putBasicServer("relay", tenant: "cli-reader")
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)",
                "MAILGATE_KEY": try await fixture.createTenantKey("cli-reader"),
            ]
            func events(_ arguments: [String]) async throws -> [[String: String]] {
                let (status, output) = try await CLITests.mailgate(["events"] + arguments, environment)
                #expect(status == 0, "\(output)")
                return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: String]])
            }
            let listed = try await events(["--format", "json"])
            #expect(listed.count == 3 && listed.allSatisfy { $0["read"] == "unread" })
            let id = try #require(listed.first?["id"])

            let (status, marked) = try await CLITests.mailgate(["events", "read", id, "--format", "json"], environment)
            #expect(status == 0, "\(marked)")
            #expect(marked.contains("\"marked\":\"1\"") && marked.contains("\"unread\":\"2\""), "\(marked)")
            let unread = try await events(["--unread", "--format", "json"])
            #expect(unread.count == 2 && !unread.contains { $0["id"] == id })
            let (_, table) = try await CLITests.mailgate(["events", "list"], environment)
            #expect(table.contains("2 unread"), "\(table)")

            #expect(try await CLITests.mailgate(["events", "read"], environment).0 != 0, "ids or --all")
            #expect(try await CLITests.mailgate(["events", "read", "--all"], environment).0 == 0)
            #expect(try await events(["--unread", "--format", "json"]).isEmpty)
        }
    }
}
