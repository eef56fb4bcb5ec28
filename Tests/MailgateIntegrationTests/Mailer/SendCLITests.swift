import Foundation
import MailgateProto
import MailgateTestSupport
import Testing

@Suite("mailgate send / message")
struct SendCLITests {
    @Test("send with an attachment and a tag, follow it with message get, cancel a scheduled one")
    func sendAndFollow() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await MailFixture.run { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "mailgate-send-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let textFile = folder.appendingPathComponent("body.txt")
            try "Your invoice is attached.\n".write(to: textFile, atomically: true, encoding: .utf8)
            let attachment = folder.appendingPathComponent("invoice.csv")
            try "item,amount\nwidget,42\n".write(to: attachment, atomically: true, encoding: .utf8)
            let key = try await fixture.admin.createTenantKey("acme")
            let environment = ["MAILGATE_ADDRESS": "127.0.0.1:\(fixture.admin.port)", "MAILGATE_KEY": key]

            let (status, output) = try await CLITests.mailgate(
                [
                    "send", "--server", "relay", "--to", "Alice Example <alice@example.org>", "--bcc",
                    "audit@example.org",
                    "--subject", "Invoice", "--text-file", textFile.path, "--attach", attachment.path, "--tag",
                    "invoice=42",
                    "--format", "json",
                ],
                environment
            )
            #expect(status == 0)
            let sent = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String]
            let id = try #require(sent?["message_id"])
            _ = try await fixture.waitFor(id, state: .sent)
            let received = try #require(try fixture.smtp.received().first)
            let text = String(decoding: received.bytes, as: UTF8.self)
            #expect(text.contains("To: Alice Example <alice@example.org>"))
            #expect(text.contains("invoice.csv"))

            let (getStatus, details) = try await CLITests.mailgate(["message", "get", id], environment)
            #expect(getStatus == 0)
            #expect(details.contains("sent"))
            #expect(details.contains("250"))

            let (laterStatus, laterOutput) = try await CLITests.mailgate(
                [
                    "send", "--to", "bob@example.org", "--subject", "Later", "--text-file", textFile.path,
                    "--not-before", Date().addingTimeInterval(10 * 86400).formatted(.iso8601), "--format", "json",
                ],
                environment
            )
            #expect(laterStatus == 0)
            let later = try #require(
                (try JSONSerialization.jsonObject(with: Data(laterOutput.utf8)) as? [String: String])?["message_id"]
            )
            let (cancelStatus, cancelOutput) = try await CLITests.mailgate(["message", "cancel", later], environment)
            #expect(cancelStatus == 0)
            #expect(cancelOutput.contains("cancelled"))

            let (badStatus, _) = try await CLITests.mailgate(
                ["send", "--to", "not an address", "--subject", "x", "--text-file", textFile.path],
                environment
            )
            #expect(badStatus != 0)
        }
    }
}
