import Crypto
import Foundation
import MailgateCore
import MailgateProto
import SwiftProtobuf

extension Mailgate_V1_SendMailRequest {
    /// The request as the composer takes it.
    var draft: MessageDraft {
        func mailboxes(_ list: [Mailgate_V1_EmailAddress]) -> [MessageDraft.Mailbox] {
            list.map { MessageDraft.Mailbox($0.address, displayName: $0.displayName) }
        }
        return MessageDraft(
            to: mailboxes(self.to),
            cc: mailboxes(self.cc),
            bcc: mailboxes(self.bcc),
            replyTo: self.hasReplyTo
                ? MessageDraft.Mailbox(self.replyTo.address, displayName: self.replyTo.displayName) : nil,
            subject: self.subject,
            textBody: self.textBody,
            htmlBody: self.htmlBody,
            attachments: self.attachments.map {
                MessageDraft.Attachment(
                    filename: $0.filename,
                    contentType: $0.contentType,
                    content: Array($0.content),
                    contentID: $0.contentID
                )
            },
            headers: self.headers
        )
    }

    /// SHA-256 of the request's deterministic encoding: equal for a retry of the same
    /// request, different for any change of content.
    func contentDigest() throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let bytes: [UInt8] = try self.serializedBytes(options: options)
        return Array(SHA256.hash(data: bytes))
    }

    /// Violations of the fields the composer does not see: key and tags (how far ahead
    /// `not_before` may be is a tenant quota).
    func envelopeViolations() -> [Violation] {
        var violations: [Violation] = []
        if self.idempotencyKey.count > 200 || self.idempotencyKey.containsControlCharacter {
            violations.append(Violation("idempotency_key", "must be at most 200 characters without control characters"))
        }
        if self.tags.count > 32 {
            violations.append(Violation("tags", "at most 32 tags"))
        }
        for (key, value) in self.tags.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.count > 64 || key.containsControlCharacter {
                violations.append(
                    Violation("tags[\(key)]", "tag names are 1 to 64 characters without control characters")
                )
            } else if value.count > 256 || value.containsControlCharacter {
                violations.append(
                    Violation("tags[\(key)]", "tag values are at most 256 characters without control characters")
                )
            }
        }
        return violations
    }
}
