import Foundation
import MailgateCore

/// A message's place in the queue.
public enum MessageState: String, Sendable, Hashable, CaseIterable {
    case queued, sending, sent, failed, cancelled

    /// Whether the message will not change any more.
    public var isFinal: Bool { self == .sent || self == .failed || self == .cancelled }
}

/// What SendMail stores: the composed message and its envelope.
public struct NewMessage: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var serverID: UUID
    public var idempotencyKey: String?
    /// Digest of the request's content, so a retry with the same key can be told from a different message.
    public var contentDigest: [UInt8]
    public var rfc822MessageID: String
    public var subject: String
    public var envelopeFrom: String
    public var recipients: [String]
    public var body: [UInt8]
    public var requiresSMTPUTF8: Bool
    public var tags: [String: String]
    /// Not delivered before this time; nil = at once.
    public var notBefore: Date?
    /// Mailgate's own mail sent through another tenant's server: no key of that tenant
    /// reads it, and its events belong to no tenant.
    public var isInternal = false

    public init(
        id: UUID = .timeOrdered(),
        tenantID: UUID,
        serverID: UUID,
        idempotencyKey: String?,
        contentDigest: [UInt8],
        rfc822MessageID: String,
        subject: String,
        envelopeFrom: String,
        recipients: [String],
        body: [UInt8],
        requiresSMTPUTF8: Bool,
        tags: [String: String],
        notBefore: Date?
    ) {
        self.id = id
        self.tenantID = tenantID
        self.serverID = serverID
        self.idempotencyKey = idempotencyKey
        self.contentDigest = contentDigest
        self.rfc822MessageID = rfc822MessageID
        self.subject = subject
        self.envelopeFrom = envelopeFrom
        self.recipients = recipients
        self.body = body
        self.requiresSMTPUTF8 = requiresSMTPUTF8
        self.tags = tags
        self.notBefore = notBefore
    }
}

/// The SMTP server's answer for one recipient.
public struct RecipientResult: Sendable, Hashable, Codable {
    public var code: Int
    public var reply: String

    public init(code: Int, reply: String) {
        self.code = code
        self.reply = reply
    }
}

/// One delivery attempt as recorded.
public struct AttemptRecord: Sendable, Hashable {
    public var number: Int
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// delivered, transient_failure, permanent_failure, uncertain, deferred, lease_expired.
    public var outcome: String
    public var stage: String
    public var replyCode: Int
    public var reply: String
}

/// A message as `GetMessage` shows it (never its body).
public struct MessageRecord: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var serverID: UUID
    public var state: MessageState
    public var rfc822MessageID: String
    public var subject: String
    public var recipients: [String]
    public var attempts: Int
    public var tags: [String: String]
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var sentAt: Date?
    public var finishedAt: Date?
    public var lastReply: String
    public var lastError: String
    public var recipientResults: [String: RecipientResult]
    public var uncertain: Bool
    public var bodyPurged: Bool
    public var history: [AttemptRecord]
}

/// A message a delivery worker holds under its lease.
public struct ClaimedMessage: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var serverID: UUID
    public var envelopeFrom: String
    /// Who this attempt sends to.
    public var recipients: [String]
    public var body: [UInt8]
    public var requiresSMTPUTF8: Bool
    /// This attempt's number (1 for the first).
    public var attempt: Int
    /// When the message became due the first time: retries stop a fixed time after it.
    public var queuedAt: Date
    /// Some recipients already have it (an earlier attempt deferred the others).
    public var partlyDelivered: Bool
    /// This attempt probes a blocked server: its outcome lifts the block or renews it.
    public var probesBlockedServer = false
}

/// What a worker decided after an attempt; written back in one batch.
public struct AttemptResult: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        /// Done: every recipient that will ever get it has it.
        case sent
        /// Try again at this time, sending to these recipients.
        case retry(at: Date, recipients: [String])
        /// Given up; the reason goes to `last_error` and a `message_failed` event.
        case failed(reason: String)
    }

    public var messageID: UUID
    public var decision: Decision
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// The attempt's outcome as recorded in its history.
    public var outcome: String
    public var stage: String
    public var replyCode: Int
    public var reply: String
    public var recipientResults: [String: RecipientResult]
    public var uncertain: Bool
    /// For `.sent`: why some recipients do not have it, kept as the last error.
    public var note: String

    public init(
        messageID: UUID,
        decision: Decision,
        startedAt: Date,
        durationMilliseconds: Int,
        outcome: String,
        stage: String,
        replyCode: Int,
        reply: String,
        recipientResults: [String: RecipientResult] = [:],
        uncertain: Bool = false,
        note: String = ""
    ) {
        self.messageID = messageID
        self.decision = decision
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.stage = stage
        self.replyCode = replyCode
        self.reply = reply
        self.recipientResults = recipientResults
        self.uncertain = uncertain
        self.note = note
    }
}

extension NewMessage {
    /// Mail Mailgate sends on its own (an expiry warning, a validation's test message)
    /// through `server`, from `sender`: no idempotency key, due now.
    public init(
        own composed: ComposedMessage,
        subject: String,
        from sender: EmailAddress,
        through server: ServerRecord,
        tags: [String: String],
        isInternal: Bool
    ) {
        self.init(
            tenantID: server.tenantID,
            serverID: server.id,
            idempotencyKey: nil,
            contentDigest: [],
            rfc822MessageID: composed.messageID,
            subject: subject,
            envelopeFrom: sender.description,
            recipients: composed.envelopeRecipients,
            body: composed.bytes,
            requiresSMTPUTF8: composed.requiresSMTPUTF8,
            tags: tags,
            notBefore: nil
        )
        self.isInternal = isInternal
    }
}
