import Foundation
import MailgateCore

/// A webhook subscription as stored: never its signing secret, only when it was made.
public struct WebhookSubscriptionRecord: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var definition: WebhookSubscriptionDefinition
    public var secretCreatedAt: Date
    public var createdAt: Date
    public var updatedAt: Date
}

/// Where a webhook delivery is in its life.
public enum WebhookDeliveryState: String, Sendable, Hashable {
    case pending, sending, delivered, failed
}

/// One attempt to post a delivery, as logged.
public struct WebhookAttemptRecord: Sendable, Hashable {
    public var attempt: Int
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// The HTTP status; 0 when no response came.
    public var status: Int
    /// The first bytes of the response body.
    public var responseExcerpt: String
    /// Why no response came, or why the response was not a success.
    public var error: String

    public init(
        attempt: Int,
        startedAt: Date,
        durationMilliseconds: Int,
        status: Int,
        responseExcerpt: String,
        error: String
    ) {
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.status = status
        self.responseExcerpt = responseExcerpt
        self.error = error
    }
}

/// A delivery of one event to one subscription, with its newest attempts.
public struct WebhookDeliveryRecord: Sendable, Hashable {
    public var id: UUID
    public var subscriptionID: UUID
    public var eventID: Int64
    public var eventKind: String
    public var state: WebhookDeliveryState
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    public var lastError: String
    /// Newest first.
    public var attemptLog: [WebhookAttemptRecord]
}

/// A delivery a worker claimed: what to post, where, and the secret to sign it with.
public struct ClaimedWebhookDelivery: Sendable {
    public var id: UUID
    public var subscriptionID: UUID
    public var tenantID: UUID
    public var url: String
    /// nil when the sealed secret cannot be opened (a master key missing from the ring).
    public var secret: Secret?
    public var payload: WebhookPayload
    /// This attempt's number (1 = the first).
    public var attempt: Int
    public var createdAt: Date
}

/// A delivery queued with its event.
public struct QueuedWebhookDelivery: Sendable, Hashable {
    public var deliveryID: UUID
    public var eventID: Int64
}
