import Foundation
import MailgateCore
import MailgateProto
import MailgateStore
import SwiftProtobuf

extension Mailgate_V1_WebhookSubscription {
    /// The subscription as RPCs show it: never its secret.
    init(_ record: WebhookSubscriptionRecord) {
        self.init()
        self.id = record.id.uuidString.lowercased()
        self.tenantID = record.tenantID.uuidString.lowercased()
        self.name = record.definition.name
        self.url = record.definition.url
        self.kinds = record.definition.kinds
        self.minSeverity = Mailgate_V1_Severity(rawValue: record.definition.minimumSeverity.rawValue) ?? .info
        self.enabled = record.definition.enabled
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        self.updatedAt = Google_Protobuf_Timestamp(date: record.updatedAt)
        self.secretCreatedAt = Google_Protobuf_Timestamp(date: record.secretCreatedAt)
    }
}

extension Mailgate_V1_PutWebhookSubscriptionRequest {
    /// The definition asked for; an unspecified severity is every severity.
    var definition: WebhookSubscriptionDefinition {
        WebhookSubscriptionDefinition(
            name: self.name,
            url: self.url,
            kinds: self.kinds,
            minimumSeverity: EventSeverity(rawValue: self.minSeverity.rawValue) ?? .info,
            enabled: !self.disabled
        )
    }
}

extension Mailgate_V1_WebhookDelivery {
    init(_ record: WebhookDeliveryRecord) {
        self.init()
        self.id = record.id.uuidString.lowercased()
        self.subscriptionID = record.subscriptionID.uuidString.lowercased()
        self.eventID = String(record.eventID)
        self.eventKind = record.eventKind
        self.state =
            switch record.state {
            case .pending: .pending
            case .sending: .sending
            case .delivered: .delivered
            case .failed: .failed
            }
        self.attempts = UInt32(clamping: record.attempts)
        self.createdAt = Google_Protobuf_Timestamp(date: record.createdAt)
        self.nextAttemptAt = Google_Protobuf_Timestamp(date: record.nextAttemptAt)
        if let delivered = Google_Protobuf_Timestamp(record.deliveredAt) { self.deliveredAt = delivered }
        self.lastError = record.lastError
        self.attemptLog = record.attemptLog.map { attempt in
            var entry = Mailgate_V1_WebhookAttempt()
            entry.attempt = UInt32(clamping: attempt.attempt)
            entry.startedAt = Google_Protobuf_Timestamp(date: attempt.startedAt)
            entry.durationMs = UInt32(clamping: attempt.durationMilliseconds)
            entry.status = UInt32(clamping: attempt.status)
            entry.responseExcerpt = attempt.responseExcerpt
            entry.error = attempt.error
            return entry
        }
    }
}
