/// What a tenant may queue and send. A quota that is nil is not set (the tenant follows
/// the service's default); 0 means unlimited.
public struct TenantQuotas: Sendable, Hashable {
    /// Messages queued and not yet sent, failed or cancelled.
    public var queuedMessages: Int?
    /// The size of those messages, in bytes.
    public var queuedBytes: Int?
    /// SendMail calls accepted per minute, across every replica.
    public var sendsPerMinute: Int?
    /// How far ahead `not_before` may be, in seconds.
    public var scheduleAheadSeconds: Int?
    /// ValidateServer calls per minute, across every replica.
    public var validationsPerMinute: Int?
    /// RefreshToken calls per minute, across every replica.
    public var tokenRefreshesPerMinute: Int?

    public init(
        queuedMessages: Int? = nil,
        queuedBytes: Int? = nil,
        sendsPerMinute: Int? = nil,
        scheduleAheadSeconds: Int? = nil,
        validationsPerMinute: Int? = nil,
        tokenRefreshesPerMinute: Int? = nil
    ) {
        self.queuedMessages = queuedMessages
        self.queuedBytes = queuedBytes
        self.sendsPerMinute = sendsPerMinute
        self.scheduleAheadSeconds = scheduleAheadSeconds
        self.validationsPerMinute = validationsPerMinute
        self.tokenRefreshesPerMinute = tokenRefreshesPerMinute
    }

    /// The quotas in force: each of these that is set, else the one of `defaults`.
    public func over(_ defaults: TenantQuotas) -> TenantQuotas {
        TenantQuotas(
            queuedMessages: self.queuedMessages ?? defaults.queuedMessages,
            queuedBytes: self.queuedBytes ?? defaults.queuedBytes,
            sendsPerMinute: self.sendsPerMinute ?? defaults.sendsPerMinute,
            scheduleAheadSeconds: self.scheduleAheadSeconds ?? defaults.scheduleAheadSeconds,
            validationsPerMinute: self.validationsPerMinute ?? defaults.validationsPerMinute,
            tokenRefreshesPerMinute: self.tokenRefreshesPerMinute ?? defaults.tokenRefreshesPerMinute
        )
    }

    /// Each quota's name as the API and errors spell it ("queued_messages").
    public enum Name: String, Sendable, CaseIterable {
        case queuedMessages = "queued_messages"
        case queuedBytes = "queued_bytes"
        case sendsPerMinute = "sends_per_minute"
        case scheduleAheadSeconds = "schedule_ahead_seconds"
        case validationsPerMinute = "validations_per_minute"
        case tokenRefreshesPerMinute = "token_refreshes_per_minute"
    }

    /// The service's defaults when nothing is configured: a million messages or 10 GiB
    /// queued, no SendMail rate limit, `not_before` up to 30 days ahead, 10 validations
    /// and 6 forced token refreshes a minute.
    public static let standardDefaults = TenantQuotas(
        queuedMessages: 1_000_000,
        queuedBytes: 10 << 30,
        sendsPerMinute: 0,
        scheduleAheadSeconds: 30 * 86400,
        validationsPerMinute: 10,
        tokenRefreshesPerMinute: 6
    )

    /// A tenant's share of delivery against the others: 1 to 100.
    public static let deliveryWeights = 1...100
}
