import Foundation

/// The JSON body of a webhook delivery: the event as the tenant's panel shows it. Events
/// carry no secrets (DESIGN §6), and neither does this.
public struct WebhookPayload: Sendable, Hashable, Encodable {
    public var id: String
    public var kind: String
    /// `info`, `warning`, `error` or `critical`.
    public var severity: String
    public var tenant: Tenant
    /// The server the event is about; nil for tenant-wide events.
    public var server: Server?
    /// When the event was raised, RFC 3339 in UTC.
    public var time: String
    public var message: String
    public var details: [String: String]

    public struct Tenant: Sendable, Hashable, Encodable {
        public var id: String
        public var slug: String
    }

    public struct Server: Sendable, Hashable, Encodable {
        public var id: String
        /// Empty when the server was deleted since.
        public var name: String
    }

    /// The payload of a stored event; ids are written lowercase, as the RPCs show them.
    public init(
        eventID: Int64,
        kind: String,
        severity: EventSeverity,
        tenantID: UUID,
        tenantSlug: String,
        serverID: UUID?,
        serverName: String?,
        createdAt: Date,
        message: String,
        details: [String: String]
    ) {
        self.id = String(eventID)
        self.kind = kind
        self.severity = Self.name(of: severity)
        self.tenant = Tenant(id: tenantID.uuidString.lowercased(), slug: tenantSlug)
        self.server = serverID.map { Server(id: $0.uuidString.lowercased(), name: serverName ?? "") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        self.time = formatter.string(from: createdAt)
        self.message = message
        self.details = details
    }

    /// The body bytes: compact JSON with sorted keys, so the same event encodes the same way.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and dictionaries of strings always encode.
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }

    static func name(of severity: EventSeverity) -> String {
        switch severity {
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}
