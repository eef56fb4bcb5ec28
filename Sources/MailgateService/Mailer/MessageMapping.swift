import Foundation
import MailgateProto
import MailgateStore
import SwiftProtobuf

extension Mailgate_V1_MessageState {
    init(_ state: MessageState) {
        switch state {
        case .queued: self = .queued
        case .sending: self = .sending
        case .sent: self = .sent
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

extension Mailgate_V1_GetMessageResponse {
    init(_ record: MessageRecord) {
        self.init()
        self.messageID = record.id.uuidString.lowercased()
        self.state = Mailgate_V1_MessageState(record.state)
        self.serverID = record.serverID.uuidString.lowercased()
        self.rfc822MessageID = record.rfc822MessageID
        self.subject = record.subject
        self.recipients = record.recipients
        self.attempts = UInt32(clamping: record.attempts)
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        if let next = Google_Protobuf_Timestamp(record.nextAttemptAt) { self.nextAttemptAt = next }
        if let sent = Google_Protobuf_Timestamp(record.sentAt) { self.sentAt = sent }
        self.lastReply = record.lastReply
        self.lastError = record.lastError
        self.tags = record.tags
        self.uncertain = record.uncertain
        self.bodyPurged = record.bodyPurged
        if let finished = Google_Protobuf_Timestamp(record.finishedAt) { self.finishedAt = finished }
        self.recipientResults = record.recipientResults.sorted { $0.key < $1.key }.map { address, result in
            var entry = Mailgate_V1_RecipientResult()
            entry.address = address
            entry.replyCode = UInt32(clamping: result.code)
            entry.reply = result.reply
            return entry
        }
        self.history = record.history.map { attempt in
            var entry = Mailgate_V1_DeliveryAttempt()
            entry.startedAt = Google_Protobuf_Timestamp(date: attempt.startedAt)
            entry.durationMs = UInt32(clamping: attempt.durationMilliseconds)
            entry.reply = attempt.reply
            entry.outcome = attempt.outcome
            return entry
        }
    }
}
