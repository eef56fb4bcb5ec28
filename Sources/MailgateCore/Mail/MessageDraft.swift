import Foundation

/// What a caller asks to send, before validation: raw strings as they arrived.
public struct MessageDraft: Sendable, Hashable {
    /// A recipient or Reply-To as given.
    public struct Mailbox: Sendable, Hashable {
        public var address: String
        public var displayName: String

        public init(_ address: String, displayName: String = "") {
            self.address = address
            self.displayName = displayName
        }
    }

    /// A file to attach; with a content id it is an inline part for `cid:` references.
    public struct Attachment: Sendable, Hashable {
        public var filename: String
        public var contentType: String
        public var content: [UInt8]
        public var contentID: String

        public init(filename: String, contentType: String = "", content: [UInt8], contentID: String = "") {
            self.filename = filename
            self.contentType = contentType
            self.content = content
            self.contentID = contentID
        }
    }

    public var to: [Mailbox]
    public var cc: [Mailbox]
    public var bcc: [Mailbox]
    public var replyTo: Mailbox?
    public var subject: String
    public var textBody: String
    public var htmlBody: String
    public var attachments: [Attachment]
    /// Extra headers: `X-…` and the allow-list of `MessageComposer.allowedHeaders`.
    public var headers: [String: String]

    public init(
        to: [Mailbox] = [],
        cc: [Mailbox] = [],
        bcc: [Mailbox] = [],
        replyTo: Mailbox? = nil,
        subject: String = "",
        textBody: String = "",
        htmlBody: String = "",
        attachments: [Attachment] = [],
        headers: [String: String] = [:]
    ) {
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.attachments = attachments
        self.headers = headers
    }
}

/// A message ready for the queue: its RFC 5322 bytes and SMTP envelope.
public struct ComposedMessage: Sendable, Hashable {
    /// The whole message, CRLF line endings, not dot-stuffed (SMTP does that on the wire).
    public var bytes: [UInt8]
    /// The Message-ID header value, with angle brackets.
    public var messageID: String
    /// Every recipient (To, Cc and Bcc), deduplicated, for RCPT TO.
    public var envelopeRecipients: [String]
    /// Whether some address needs the server's SMTPUTF8 extension.
    public var requiresSMTPUTF8: Bool
}

/// Limits a message must respect.
public struct MessageLimits: Sendable, Hashable {
    public var maximumRecipients: Int
    /// After encoding, in bytes.
    public var maximumSize: Int

    public init(maximumRecipients: Int = 100, maximumSize: Int = 25 * 1024 * 1024) {
        self.maximumRecipients = maximumRecipients
        self.maximumSize = maximumSize
    }
}
