import Foundation
import MailgateCore
import MailgateTestSupport
import Testing

@Suite("Message composition")
struct MessageComposerTests {
    static let sender = MailAddress(EmailAddress("billing@example.com")!, displayName: "Billing Team")
    static let composer = MessageComposer(sender: sender)

    static func text(_ message: ComposedMessage) -> String { String(decoding: message.bytes, as: UTF8.self) }

    static func headerBlock(_ message: ComposedMessage) -> String {
        let text = Self.text(message)
        return String(text[..<text.range(of: "\r\n\r\n")!.lowerBound])
    }

    @Test("every line ends in CRLF and stays within 998 octets; header lines within 78 where foldable")
    func lineDiscipline() throws {
        var draft = MessageDraft(to: [.init("a@example.com")], subject: String(repeating: "word ", count: 60))
        draft.textBody = String(repeating: "x", count: 3000) + "\nshort\r\nline\rend"
        draft.attachments = [.init(filename: "data.bin", content: Array(repeating: 0xFF, count: 5000))]
        let message = try Self.composer.compose(draft)
        let text = Self.text(message)
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "no bare CR")
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 998) }
        for line in Self.headerBlock(message).components(separatedBy: "\r\n") { #expect(line.count <= 78, "\(line)") }
    }

    @Test("text and HTML are alternatives; inline parts are related to the HTML; attachments are mixed")
    func structure() throws {
        var draft = MessageDraft(
            to: [.init("a@example.com")],
            subject: "Hi",
            textBody: "plain",
            htmlBody: "<p>rich <img src=\"cid:logo\"></p>"
        )
        #expect(Self.text(try Self.composer.compose(draft)).contains("multipart/alternative"))
        draft.attachments = [
            .init(filename: "logo.png", contentType: "image/png", content: [1, 2, 3], contentID: "logo")
        ]
        let related = Self.text(try Self.composer.compose(draft))
        #expect(related.contains("multipart/related"))
        #expect(!related.contains("multipart/mixed"))
        #expect(related.contains("Content-ID: <logo>"))
        draft.attachments.append(.init(filename: "report.pdf", contentType: "application/pdf", content: [4, 5, 6]))
        let mixed = Self.text(try Self.composer.compose(draft))
        #expect(mixed.contains("multipart/mixed"))
        #expect(mixed.contains("Content-Disposition: attachment; filename=\"report.pdf\""))
    }

    @Test("Bcc recipients are in the envelope and never in a header; the envelope has no duplicates")
    func bccHidden() throws {
        let draft = MessageDraft(
            to: [.init("to@example.com")],
            cc: [.init("CC@example.com")],
            bcc: [.init("secret@example.com"), .init("cc@example.com")],
            subject: "s",
            textBody: "b"
        )
        let message = try Self.composer.compose(draft)
        #expect(!Self.text(message).contains("secret@example.com"))
        // No Bcc field (the random Message-ID may well contain the letters "bcc").
        #expect(!Self.headerBlock(message).lowercased().components(separatedBy: "\n").contains { $0.hasPrefix("bcc:") })
        #expect(message.envelopeRecipients == ["to@example.com", "CC@example.com", "secret@example.com"])
    }

    @Test("Date, Message-ID under the sender's domain, MIME-Version and From are set")
    func standardHeaders() throws {
        let message = try Self.composer.compose(
            MessageDraft(to: [.init("a@example.com")], subject: "s", textBody: "b"),
            date: Date(timeIntervalSince1970: 1_795_000_000)
        )
        let headers = Self.headerBlock(message)
        #expect(headers.contains("Date: Wed, 18 Nov 2026 11:06:40 +0000"))
        #expect(headers.contains("+0000"))
        #expect(message.messageID.hasPrefix("<") && message.messageID.hasSuffix("@example.com>"))
        #expect(headers.contains("Message-ID: \(message.messageID)"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("From: Billing Team <billing@example.com>"))
        let another = try Self.composer.compose(MessageDraft(to: [.init("a@example.com")], subject: "s", textBody: "b"))
        #expect(another.messageID != message.messageID)
    }

    @Test(
        "header injection, bad addresses, no or too many recipients, forbidden headers and oversize are refused with their fields"
    )
    func validation() throws {
        func violations(_ draft: MessageDraft, limits: MessageLimits = MessageLimits()) -> [String] {
            do {
                _ = try MessageComposer(sender: Self.sender, limits: limits).compose(draft)
                return []
            } catch {
                return error.violations.map(\.field)
            }
        }
        let base = MessageDraft(to: [.init("a@example.com")], subject: "s", textBody: "b")
        var draft = base
        draft.subject = "Hello\r\nBcc: victim@example.com"
        #expect(violations(draft) == ["subject"])
        draft = base
        draft.to = [.init("a@example.com", displayName: "Eve\nBcc: x@example.com")]
        #expect(violations(draft) == ["to[0].display_name"])
        draft = base
        draft.cc = [.init("not an address")]
        #expect(violations(draft) == ["cc[0].address"])
        draft = base
        draft.to = []
        #expect(violations(draft) == ["to"])
        draft = base
        draft.bcc = (0..<3).map { .init("r\($0)@example.com") }
        #expect(violations(draft, limits: MessageLimits(maximumRecipients: 3)) == ["to"])
        draft = base
        draft.headers = ["From": "ceo@example.com", "X-Campaign": "ok", "X-Bad": "a\r\nb", "Bcc": "x@example.com"]
        #expect(Set(violations(draft)) == ["headers[From]", "headers[X-Bad]", "headers[Bcc]"])
        draft = base
        draft.attachments = [.init(filename: "big.bin", content: Array(repeating: 0, count: 2000))]
        #expect(violations(draft, limits: MessageLimits(maximumSize: 2000)) == ["attachments"])
        draft = base
        draft.attachments = [.init(filename: "a\nb", contentType: "not a type", content: [1], contentID: "bad id")]
        #expect(
            Set(violations(draft)) == [
                "attachments[0].filename", "attachments[0].content_type", "attachments[0].content_id",
            ]
        )
    }

    @Test("a non-ASCII local part marks the message as needing SMTPUTF8")
    func smtputf8() throws {
        let ascii = try Self.composer.compose(
            MessageDraft(to: [.init("a@bücher.example")], subject: "s", textBody: "b")
        )
        #expect(!ascii.requiresSMTPUTF8)
        #expect(ascii.envelopeRecipients == ["a@xn--bcher-kva.example"])
        let utf8 = try Self.composer.compose(MessageDraft(to: [.init("jörg@example.com")], subject: "s", textBody: "b"))
        #expect(utf8.requiresSMTPUTF8)
    }

    @Test(
        "Python's email parser reads back subject, recipients, bodies and attachments of random messages",
        arguments: 0..<150
    )
    func pythonRoundTrip(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        let draft = random.draft()
        let message = try Self.composer.compose(draft)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailgate-mime-\(UUID().uuidString).eml"
        )
        try Data(message.bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = repositoryRoot().appendingPathComponent("Tests/MailgateCoreTests/Fixtures/parse_message.py")
        let (status, output) = try await runProgram(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", script.path, file.path]
        )
        try #require(status == 0, "python3 could not parse the message (seed \(seed))")
        let parsed = try JSONDecoder().decode(ParsedMessage.self, from: Data(output.utf8))

        #expect(parsed.defects.isEmpty, "seed \(seed): \(parsed.defects)")
        #expect(parsed.subject == draft.subject, "seed \(seed)")
        #expect(parsed.to.map(\.address) == draft.to.map { EmailAddress($0.address)!.description })
        #expect(parsed.to.map(\.display_name) == draft.to.map(\.displayName), "seed \(seed)")
        #expect(parsed.cc.map(\.address) == draft.cc.map { EmailAddress($0.address)!.description })
        #expect(parsed.bcc.isEmpty)
        #expect(parsed.from.first?.display_name == Self.sender.displayName)
        #expect(normalize(parsed.text) == normalize(draft.textBody.isEmpty ? nil : draft.textBody), "seed \(seed)")
        #expect(normalize(parsed.html) == normalize(draft.htmlBody.isEmpty ? nil : draft.htmlBody), "seed \(seed)")
        // Inline parts sit next to the HTML, before the attachments: compare in filename order.
        let received = parsed.attachments.sorted { $0.filename < $1.filename }
        let sent = draft.attachments.sorted { $0.filename < $1.filename }
        #expect(received.map(\.filename) == sent.map(\.filename), "seed \(seed)")
        #expect(received.map { Data(base64Encoded: $0.content)! } == sent.map { Data($0.content) }, "seed \(seed)")
        #expect(received.map(\.content_id) == sent.map(\.contentID), "seed \(seed)")
        #expect(
            received.map(\.content_type)
                == sent.map { $0.contentType.isEmpty ? "application/octet-stream" : $0.contentType }
        )
    }
}

/// Body text as a reader sees it: LF line ends, one final line break.
private func normalize(_ text: String?) -> String? {
    guard let text else { return nil }
    var lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    while lines.hasSuffix("\n") { lines.removeLast() }
    return lines + "\n"
}

private struct ParsedMessage: Decodable {
    struct Address: Decodable {
        var address: String
        var display_name: String
    }
    struct Part: Decodable {
        var filename: String
        var content_type: String
        var content: String
        var content_id: String
    }
    var subject: String
    var from: [Address]
    var to: [Address]
    var cc: [Address]
    var bcc: [Address]
    var text: String?
    var html: String?
    var attachments: [Part]
    var defects: [String]
}

/// A small deterministic generator of awkward messages (SplitMix64).
private struct SeededRandom {
    var state: UInt64

    init(seed: UInt64) { self.state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(self.next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[self.int(0...(items.count - 1))] }

    static let words = [
        "hello", "Grüße", "naïve", "日本語", "emoji😀", "\"quoted\"", "a.b", "semi;colon", "=?not?=", "tab\tbed",
        "O'Brien", "<angle>", "100%", "x", "Ünïcödé", "back\\slash", "comma,",
        "long" + String(repeating: "o", count: 80),
    ]

    mutating func phrase(_ count: ClosedRange<Int>) -> String {
        (0..<self.int(count)).map { _ in self.pick(Self.words) }.joined(separator: " ")
    }

    mutating func body() -> String {
        (0..<self.int(0...8)).map { _ -> String in
            switch self.int(0...5) {
            case 0: return "." + self.phrase(0...3)
            case 1: return String(repeating: self.pick(["a", "é", "€"]), count: self.int(70...1200))
            case 2: return ""
            case 3: return "trailing space "
            default: return self.phrase(1...10)
            }
        }.joined(separator: self.pick(["\n", "\r\n"]))
    }

    mutating func draft() -> MessageDraft {
        var draft = MessageDraft()
        let names = ["", "Jane Doe", "Dr. Smith, Jr.", "Jörg Müller", "\"Chef\" O'Neil", "李小龍", "a  b"]
        draft.to = (0..<self.int(1...3)).map { index in .init("user\(index)@example.com", displayName: self.pick(names))
        }
        draft.cc = (0..<self.int(0...2)).map { index in
            .init("cc\(index)@bücher.example", displayName: self.pick(names))
        }
        draft.bcc = (0..<self.int(0...2)).map { index in .init("hidden\(index)@example.org") }
        draft.subject = self.phrase(0...12)
        draft.textBody = self.body()
        draft.htmlBody = self.int(0...1) == 0 ? "" : "<p>\(self.body())</p>"
        if draft.textBody.isEmpty && draft.htmlBody.isEmpty { draft.textBody = "x" }
        draft.attachments = (0..<self.int(0...3)).map { index in
            let bytes = (0..<self.int(0...3000)).map { _ in UInt8(truncatingIfNeeded: self.next()) }
            let inline = !draft.htmlBody.isEmpty && self.int(0...2) == 0
            return .init(
                filename: self.pick(["report.pdf", "résumé.docx", "データ.csv", "a b.txt", "x"]) + "\(index)",
                contentType: self.pick(["application/pdf", "image/png", "text/csv", ""]),
                content: bytes,
                contentID: inline ? "part\(index)@mailgate" : ""
            )
        }
        return draft
    }
}
