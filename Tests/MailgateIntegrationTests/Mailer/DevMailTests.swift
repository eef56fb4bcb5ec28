import Foundation
import MailgateClient
import MailgateProto
import MailgateTestSupport
import Testing

/// `mailgate dev mail`: what scripts/dev's mail catcher received, as a developer reads it.
@Suite("mailgate dev mail")
struct DevMailTests {
    @Test("lists mail that went through Mailgate into the catcher, newest first, and prints one with --show")
    func listAndShow() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await MailFixture.run { fixture in
            for subject in ["First hello", "Second hello"] {
                let request = MailFixture.message(to: ["reader@example.org"], subject: subject)
                let id = try await fixture.client.sendMail(request).messageID
                _ = try await fixture.waitFor(id, state: .sent)
            }
            let folder = fixture.smtp.folder.path
            let (status, json) = try await CLITests.mailgate(
                ["dev", "mail", "--folder", folder, "--format", "json"],
                [:]
            )
            #expect(status == 0)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]])
            #expect(rows.map { $0["subject"] } == ["Second hello", "First hello"])
            #expect(rows.first?["to"] == "reader@example.org", "the envelope recipient")
            #expect(rows.first?["n"] == "2")

            let (showStatus, message) = try await CLITests.mailgate(
                ["dev", "mail", "--folder", folder, "--show", "1"],
                [:]
            )
            #expect(showStatus == 0)
            #expect(message.contains("Subject: First hello"))
            let (missingStatus, _) = try await CLITests.mailgate(
                ["dev", "mail", "--folder", folder, "--show", "9"],
                [:]
            )
            #expect(missingStatus != 0)
        }
    }
}
