import Foundation

/// What a tenant asks to be told about, and where: the writable part of a webhook
/// subscription. Checked by `WebhookRules` before it is stored.
public struct WebhookSubscriptionDefinition: Sendable, Hashable {
    /// Unique within the tenant.
    public var name: String
    public var url: String
    /// Event kinds delivered; empty: every kind.
    public var kinds: [String]
    /// Events below it are not delivered.
    public var minimumSeverity: EventSeverity
    public var enabled: Bool

    public init(
        name: String,
        url: String,
        kinds: [String] = [],
        minimumSeverity: EventSeverity = .info,
        enabled: Bool = true
    ) {
        self.name = name
        self.url = url
        self.kinds = kinds
        self.minimumSeverity = minimumSeverity
        self.enabled = enabled
    }

    /// Whether an event of `kind` and `severity` goes to this subscription (the outbox
    /// applies the same rule in SQL when an event is stored).
    public func matches(kind: String, severity: EventSeverity) -> Bool {
        self.enabled && severity >= self.minimumSeverity && (self.kinds.isEmpty || self.kinds.contains(kind))
    }
}
