import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import SwiftProtobuf

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queue a message through an output server and print its id.",
        discussion: "Addresses may carry a display name: --to 'Alice Example <alice@example.org>'."
    )
    @OptionGroup var client: ClientOptions
    @Option(help: "Output server id or name (default: the tenant's default server).") var server: String?
    @Option(parsing: .singleValue, help: "A recipient; repeat for more.") var to: [String] = []
    @Option(parsing: .singleValue, help: "A copy recipient; repeat for more.") var cc: [String] = []
    @Option(parsing: .singleValue, help: "A blind copy recipient (only in the envelope); repeat for more.") var bcc:
        [String] = []
    @Option(help: "Reply-To address.") var replyTo: String?
    @Option(help: "The subject.") var subject: String = ""
    @Option(help: "File with the plain-text body (- for standard input).") var textFile: String?
    @Option(help: "File with the HTML body.") var htmlFile: String?
    @Option(parsing: .singleValue, help: "A file to attach; repeat for more. Content type from the extension.")
    var attach: [String] = []
    @Option(parsing: .singleValue, help: "A header NAME=VALUE (X- headers and a short allow-list); repeat for more.")
    var header: [String] = []
    @Option(parsing: .singleValue, help: "A tag NAME=VALUE stored with the message; repeat for more.") var tag:
        [String] = []
    @Option(help: "Same key and content returns the first message instead of sending again.") var idempotencyKey:
        String?
    @Option(help: "Do not deliver before this ISO 8601 time.") var notBefore: String?

    func run() async throws {
        try await runClientCall {
            var request = Mailgate_V1_SendMailRequest()
            request.server = self.server ?? ""
            request.to = self.to.map(Self.mailbox)
            request.cc = self.cc.map(Self.mailbox)
            request.bcc = self.bcc.map(Self.mailbox)
            if let replyTo { request.replyTo = Self.mailbox(replyTo) }
            request.subject = self.subject
            if let textFile { request.textBody = try Self.readText(textFile) }
            if let htmlFile { request.htmlBody = try Self.readText(htmlFile) }
            request.attachments = try self.attach.map(Self.attachment)
            request.headers = try Self.pairs(self.header, what: "header")
            request.tags = try Self.pairs(self.tag, what: "tag")
            request.idempotencyKey = self.idempotencyKey ?? ""
            if let notBefore {
                guard let date = try? Date(notBefore, strategy: .iso8601) else {
                    throw CLIError("--not-before \(notBefore) is not an ISO 8601 time such as 2026-12-01T09:00:00Z.")
                }
                request.notBefore = Google_Protobuf_Timestamp(date: date)
            }
            let response = try await self.client.withClient { try await $0.sendMail(request) }
            printRecord(
                [
                    "message_id": response.messageID, "state": messageStateName(response.state),
                    "rfc822_message_id": response.rfc822MessageID,
                ],
                format: self.client.format
            )
        }
    }

    /// `Name <address>` or a bare address.
    static func mailbox(_ text: String) -> Mailgate_V1_EmailAddress {
        var mailbox = Mailgate_V1_EmailAddress()
        if let open = text.lastIndex(of: "<"), text.hasSuffix(">") {
            mailbox.address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            mailbox.displayName = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: "\"")
            )
        } else {
            mailbox.address = text.trimmingCharacters(in: .whitespaces)
        }
        return mailbox
    }

    static func readText(_ path: String) throws -> String {
        let data =
            path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data, let text = String(data: data, encoding: .utf8) else {
            throw CLIError("Cannot read \(path) as UTF-8 text.")
        }
        return text
    }

    static func attachment(_ path: String) throws -> Mailgate_V1_Attachment {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("Cannot read the attachment \(path).")
        }
        var attachment = Mailgate_V1_Attachment()
        attachment.filename = URL(fileURLWithPath: path).lastPathComponent
        attachment.contentType =
            Self.contentTypes[URL(fileURLWithPath: path).pathExtension.lowercased()] ?? "application/octet-stream"
        attachment.content = data
        return attachment
    }

    static let contentTypes = [
        "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "html": "text/html", "png": "image/png",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "zip": "application/zip",
        "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ics": "text/calendar",
    ]

    static func pairs(_ entries: [String], what: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else {
                throw CLIError("--\(what) \(entry) is not NAME=VALUE.")
            }
            pairs[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return pairs
    }
}

struct MessageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Look at or cancel a message.",
        subcommands: [Get.self, Cancel.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a message's state, attempts and the SMTP server's replies."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The message id SendMail returned.") var id: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_GetMessageRequest()
                request.messageID = self.id
                let message = try await self.client.withClient { try await $0.getMessage(request) }
                if self.client.format == .json {
                    print(try message.jsonString())
                    return
                }
                printRecord(
                    [
                        "message_id": message.messageID, "state": messageStateName(message.state),
                        "rfc822_message_id": message.rfc822MessageID, "subject": message.subject,
                        "recipients": message.recipients.joined(separator: ", "), "attempts": String(message.attempts),
                        "created_at": formatDate(message.createdAt.date),
                        "next_attempt_at": message.hasNextAttemptAt ? formatDate(message.nextAttemptAt.date) : "-",
                        "sent_at": message.hasSentAt ? formatDate(message.sentAt.date) : "-",
                        "last_reply": message.lastReply.isEmpty ? "-" : message.lastReply,
                        "last_error": message.lastError.isEmpty ? "-" : message.lastError,
                        "waiting_reason": message.waitingReason.isEmpty ? "-" : message.waitingReason,
                        "uncertain": message.uncertain ? "yes (the server may have received it more than once)" : "no",
                    ],
                    format: .table
                )
                if !message.recipientResults.isEmpty {
                    print("")
                    printTable(
                        ["recipient", "code", "reply"],
                        message.recipientResults.map { [$0.address, String($0.replyCode), $0.reply] },
                        format: .table
                    )
                }
                if !message.history.isEmpty {
                    print("")
                    printTable(
                        ["attempt", "started", "ms", "outcome", "reply"],
                        message.history.enumerated().map { index, attempt in
                            [
                                String(index + 1), formatDate(attempt.startedAt.date), String(attempt.durationMs),
                                attempt.outcome, attempt.reply,
                            ]
                        },
                        format: .table
                    )
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a message that is still queued.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The message id SendMail returned.") var id: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_CancelMessageRequest()
                request.messageID = self.id
                let response = try await self.client.withClient { try await $0.cancelMessage(request) }
                printRecord(
                    ["message_id": self.id, "state": messageStateName(response.state)],
                    format: self.client.format
                )
            }
        }
    }
}

/// The state as people read it: queued, sending, sent, failed, cancelled.
func messageStateName(_ state: Mailgate_V1_MessageState) -> String {
    switch state {
    case .queued: "queued"
    case .sending: "sending"
    case .sent: "sent"
    case .failed: "failed"
    case .cancelled: "cancelled"
    case .unspecified, .UNRECOGNIZED: "unknown"
    }
}
