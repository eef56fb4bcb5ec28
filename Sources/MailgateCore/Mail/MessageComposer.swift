import Foundation

/// Turns a `MessageDraft` into RFC 5322 / MIME bytes, or refuses it with every
/// violation at once (field paths as in `SendMailRequest`).
///
/// Structure: `multipart/alternative` for text + HTML, `multipart/related` around the
/// HTML and its inline parts, `multipart/mixed` around the body and attachments. Bcc
/// recipients are in the envelope only, never in a header.
public struct MessageComposer: Sendable {
    /// Headers a caller may add besides `X-…`; never From, To, Date, Message-ID, Bcc….
    public static let allowedHeaders: Set<String> = [
        "list-unsubscribe", "list-unsubscribe-post", "list-id", "auto-submitted", "precedence",
        "importance", "priority", "in-reply-to", "references", "keywords", "comments",
    ]

    public let sender: MailAddress
    public let limits: MessageLimits

    public init(sender: MailAddress, limits: MessageLimits = MessageLimits()) {
        self.sender = sender
        self.limits = limits
    }

    /// Validates and composes; `messageID` and `date` are fixed by the caller for tests.
    public func compose(_ draft: MessageDraft, date: Date = Date(), messageID: String? = nil) throws(ValidationError)
        -> ComposedMessage
    {
        var violations: [Violation] = []
        func mailboxes(_ list: [MessageDraft.Mailbox], _ field: String) -> [MailAddress] {
            list.enumerated().compactMap { index, mailbox in
                self.mailbox(mailbox, field: "\(field)[\(index)]", violations: &violations)
            }
        }
        let to = mailboxes(draft.to, "to")
        let cc = mailboxes(draft.cc, "cc")
        let bcc = mailboxes(draft.bcc, "bcc")
        var replyTo: MailAddress?
        if let given = draft.replyTo, !given.address.isEmpty {
            replyTo = self.mailbox(given, field: "reply_to", violations: &violations)
        }
        let recipientCount = draft.to.count + draft.cc.count + draft.bcc.count
        if recipientCount == 0 {
            violations.append(Violation("to", "at least one recipient (to, cc or bcc) is required"))
        } else if recipientCount > self.limits.maximumRecipients {
            violations.append(
                Violation(
                    "to",
                    "at most \(self.limits.maximumRecipients) recipients in all; this message has \(recipientCount)"
                )
            )
        }
        if draft.subject.containsLineBreakOrNUL {
            violations.append(Violation("subject", "must not contain line breaks"))
        }
        if draft.subject.count > 998 { violations.append(Violation("subject", "must be at most 998 characters")) }
        if draft.textBody.isEmpty && draft.htmlBody.isEmpty && draft.attachments.isEmpty {
            violations.append(Violation("text_body", "a text body, an HTML body or an attachment is required"))
        }
        let extraHeaders = self.headerViolations(draft.headers, &violations)
        for (index, attachment) in draft.attachments.enumerated() {
            let field = "attachments[\(index)]"
            if attachment.filename.isEmpty || attachment.filename.containsLineBreakOrNUL
                || attachment.filename.count > 255
            {
                violations.append(
                    Violation("\(field).filename", "is required, at most 255 characters, without line breaks")
                )
            }
            if !attachment.contentType.isEmpty && !Self.isContentType(attachment.contentType) {
                violations.append(Violation("\(field).content_type", "is not a MIME type such as application/pdf"))
            }
            if !attachment.contentID.isEmpty && !Self.isContentID(attachment.contentID) {
                violations.append(Violation("\(field).content_id", "must be printable ASCII without spaces or <>"))
            }
        }
        guard violations.isEmpty else {
            throw ValidationError("The message is not valid; nothing was queued.", violations: violations)
        }

        let messageID = messageID ?? "<\(Self.randomHex(16))@\(self.sender.address.domain)>"
        var header = ""
        header += HeaderEncoding.field("Date", HeaderEncoding.date(date))
        header += HeaderEncoding.field("From", self.sender.headerForm)
        if !to.isEmpty { header += HeaderEncoding.field("To", to.map(\.headerForm).joined(separator: ", ")) }
        if !cc.isEmpty { header += HeaderEncoding.field("Cc", cc.map(\.headerForm).joined(separator: ", ")) }
        if let replyTo { header += HeaderEncoding.field("Reply-To", replyTo.headerForm) }
        header += HeaderEncoding.field("Subject", HeaderEncoding.unstructured(draft.subject))
        header += HeaderEncoding.field("Message-ID", messageID)
        for (name, value) in extraHeaders { header += HeaderEncoding.field(name, HeaderEncoding.unstructured(value)) }
        header += "MIME-Version: 1.0\r\n"

        let body = self.bodyPart(draft)
        let message = Array((header + body).utf8)
        if message.count > self.limits.maximumSize {
            throw ValidationError(
                "The message is too large; nothing was queued.",
                violations: [
                    Violation(
                        "attachments",
                        "the encoded message is \(message.count) bytes; the limit is \(self.limits.maximumSize)"
                    )
                ]
            )
        }
        var seen = Set<String>()
        let envelope = (to + cc + bcc).map(\.address.description).filter { seen.insert($0.lowercased()).inserted }
        let needsUTF8 = ([self.sender] + to + cc + bcc + (replyTo.map { [$0] } ?? [])).contains {
            $0.address.requiresSMTPUTF8
        }
        return ComposedMessage(
            bytes: message,
            messageID: messageID,
            envelopeRecipients: envelope,
            requiresSMTPUTF8: needsUTF8
        )
    }

    // MARK: Parts

    /// The MIME body (headers of the top part included) for the draft.
    private func bodyPart(_ draft: MessageDraft) -> String {
        let inline = draft.attachments.filter { !$0.contentID.isEmpty }
        let attached = draft.attachments.filter { $0.contentID.isEmpty }
        var html: String? = draft.htmlBody.isEmpty ? nil : Self.textPart(draft.htmlBody, subtype: "html")
        if let htmlPart = html, !inline.isEmpty {
            html = Self.multipart("related", [htmlPart] + inline.map(Self.attachmentPart))
        }
        let text: String? = draft.textBody.isEmpty ? nil : Self.textPart(draft.textBody, subtype: "plain")
        var main: String?
        switch (text, html) {
        case let (text?, html?): main = Self.multipart("alternative", [text, html])
        case let (text?, nil): main = text
        case let (nil, html?): main = html
        case (nil, nil): main = nil
        }
        // Inline parts without an HTML body to reference them are plain attachments.
        let loose = html == nil ? inline : []
        let attachments = (attached + loose).map(Self.attachmentPart)
        guard !attachments.isEmpty else { return main ?? Self.textPart("", subtype: "plain") }
        return Self.multipart("mixed", (main.map { [$0] } ?? []) + attachments)
    }

    private static func textPart(_ text: String, subtype: String) -> String {
        let (encoding, body) = BodyEncoding.text(text)
        let charset = encoding == "7bit" ? "us-ascii" : "utf-8"
        return "Content-Type: text/\(subtype); charset=\(charset)\r\nContent-Transfer-Encoding: \(encoding)\r\n\r\n"
            + body
    }

    private static func attachmentPart(_ attachment: MessageDraft.Attachment) -> String {
        let type = attachment.contentType.isEmpty ? "application/octet-stream" : attachment.contentType.lowercased()
        var header = HeaderEncoding.field(
            "Content-Type",
            "\(type); \(HeaderEncoding.parameter("name", attachment.filename))"
        )
        header += "Content-Transfer-Encoding: base64\r\n"
        let disposition = attachment.contentID.isEmpty ? "attachment" : "inline"
        header += HeaderEncoding.field(
            "Content-Disposition",
            "\(disposition); \(HeaderEncoding.parameter("filename", attachment.filename))"
        )
        if !attachment.contentID.isEmpty { header += "Content-ID: <\(attachment.contentID)>\r\n" }
        return header + "\r\n" + BodyEncoding.base64(attachment.content)
    }

    private static func multipart(_ subtype: String, _ parts: [String]) -> String {
        let boundary = "=_mg_" + self.randomHex(12)
        var text = "Content-Type: multipart/\(subtype); boundary=\"\(boundary)\"\r\n\r\n"
        for part in parts { text += "--\(boundary)\r\n" + part }
        return text + "--\(boundary)--\r\n"
    }

    // MARK: Validation

    private func mailbox(_ mailbox: MessageDraft.Mailbox, field: String, violations: inout [Violation]) -> MailAddress?
    {
        var valid = true
        if mailbox.displayName.containsLineBreakOrNUL || mailbox.displayName.count > 200 {
            violations.append(Violation("\(field).display_name", "must be at most 200 characters without line breaks"))
            valid = false
        }
        guard !mailbox.address.containsLineBreakOrNUL, let address = EmailAddress(mailbox.address) else {
            violations.append(Violation("\(field).address", "is not an email address (local@domain)"))
            return nil
        }
        return valid ? MailAddress(address, displayName: mailbox.displayName) : nil
    }

    private func headerViolations(_ headers: [String: String], _ violations: inout [Violation]) -> [(String, String)] {
        var accepted: [(String, String)] = []
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let field = "headers[\(name)]"
            let lower = name.lowercased()
            let validName = !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
            if !validName || !(lower.hasPrefix("x-") || Self.allowedHeaders.contains(lower)) {
                violations.append(
                    Violation(
                        field,
                        "only X- headers and \(Self.allowedHeaders.sorted().joined(separator: ", ")) may be set"
                    )
                )
            } else if value.containsLineBreakOrNUL || value.count > 998 {
                violations.append(Violation(field, "must be at most 998 characters without line breaks"))
            } else {
                accepted.append((name, value))
            }
        }
        return accepted
    }

    private static func isContentType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let token: (Substring) -> Bool = { part in
            !part.isEmpty
                && part.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || "!#$&^_.+-".utf8.contains(byte)
                }
        }
        return parts.count == 2 && token(parts[0]) && token(parts[1])
    }

    private static func isContentID(_ text: String) -> Bool {
        text.count <= 250
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    static func randomHex(_ byteCount: Int) -> String {
        // Eight bytes per draw: each draw of the system generator is a system call.
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        while bytes.count < byteCount {
            withUnsafeBytes(of: generator.next()) { bytes += $0.prefix(byteCount - bytes.count) }
        }
        return Hex.string(bytes)
    }
}
