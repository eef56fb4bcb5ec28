import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `events` table: each tenant's notification panel and audit trail.
public struct EventRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Appends an event on its own.
    public func append(_ event: NewEvent) async throws {
        try await self.client.withConnection { connection in
            _ = try await Self.append(event, on: connection, logger: self.logger)
        }
    }

    /// Appends an event on `connection`, inside the caller's transaction, so the
    /// change and its audit event commit together.
    ///
    /// Every event is stored here, and in the same statement a webhook delivery is queued
    /// for each enabled subscription of the tenant whose kinds and minimum severity match
    /// (the rule of `WebhookSubscriptionDefinition.matches`): the event and its deliveries
    /// commit together or not at all, so no event is stored without its deliveries. With
    /// `onlyTo`, the one delivery queued is to that subscription, whatever its filters (a
    /// test event). Returns the deliveries queued.
    @discardableResult
    public static func append(
        _ event: NewEvent,
        on connection: PostgresConnection,
        logger: Logger,
        onlyTo subscriptionID: UUID? = nil
    ) async throws -> [QueuedWebhookDelivery] {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        let rows = try await connection.query(
            """
            WITH event AS (
                INSERT INTO events (tenant_id, kind, severity, server_id, message, details, actor)
                VALUES (\(event.tenantID), \(event.kind), \(event.severity.rawValue), \(event.serverID),
                        \(event.message), \(details)::jsonb, \(event.actor))
                RETURNING id, tenant_id, kind, severity
            )
            INSERT INTO webhook_deliveries (id, subscription_id, tenant_id, event_id)
            SELECT gen_random_uuid(), s.id, s.tenant_id, e.id FROM event e
            JOIN webhook_subscriptions s ON s.tenant_id = e.tenant_id
            WHERE CASE WHEN \(subscriptionID)::uuid IS NULL
                THEN s.enabled AND e.severity >= s.min_severity AND (cardinality(s.kinds) = 0 OR e.kind = ANY(s.kinds))
                ELSE s.id = \(subscriptionID) END
            RETURNING id, event_id
            """,
            logger: logger
        )
        var queued: [QueuedWebhookDelivery] = []
        for try await (id, eventID) in rows.decode((UUID, Int64).self) {
            queued.append(QueuedWebhookDelivery(deliveryID: id, eventID: eventID))
        }
        return queued
    }

    /// Which events a listing or a count covers: the filters of ListEvents other than paging.
    public struct Filter: Sendable, Hashable {
        /// nil: every tenant's and the platform's (operators only).
        public var tenantID: UUID?
        public var serverID: UUID?
        public var minimumSeverity: EventSeverity
        public var kind: String?
        public var unreadOnly: Bool

        public init(
            tenantID: UUID?,
            serverID: UUID? = nil,
            minimumSeverity: EventSeverity = .info,
            kind: String? = nil,
            unreadOnly: Bool = false
        ) {
            self.tenantID = tenantID
            self.serverID = serverID
            self.minimumSeverity = minimumSeverity
            self.kind = kind
            self.unreadOnly = unreadOnly
        }
    }

    /// Events newest first. `tenantID` nil lists every tenant's and the platform's
    /// (operators only); `beforeID` pages.
    public func list(
        tenantID: UUID?,
        serverID: UUID? = nil,
        minimumSeverity: EventSeverity = .info,
        kind: String? = nil,
        unreadOnly: Bool = false,
        beforeID: Int64? = nil,
        limit: Int
    ) async throws -> [EventRecord] {
        let filter = Filter(
            tenantID: tenantID,
            serverID: serverID,
            minimumSeverity: minimumSeverity,
            kind: kind,
            unreadOnly: unreadOnly
        )
        return try await self.list(filter, beforeID: beforeID, limit: limit)
    }

    /// Events matching `filter`, newest first; `beforeID` pages.
    public func list(_ filter: Filter, beforeID: Int64? = nil, limit: Int) async throws -> [EventRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT id, tenant_id, kind, severity, server_id, message, details::text, actor, created_at,
                read_at, read_by
            FROM events
            WHERE (\(filter.tenantID)::uuid IS NULL OR tenant_id = \(filter.tenantID))
              AND (\(filter.serverID)::uuid IS NULL OR server_id = \(filter.serverID))
              AND severity >= \(filter.minimumSeverity.rawValue)
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
              AND (NOT \(filter.unreadOnly) OR read_at IS NULL)
              AND (\(beforeID)::int8 IS NULL OR id < \(beforeID))
            ORDER BY id DESC
            LIMIT \(limit)
            """,
            logger: self.logger
        )
        var events: [EventRecord] = []
        for try await (id, tenantID, kind, severity, serverID, message, details, actor, createdAt, readAt, readBy)
            in rows.decode(
                (Int64, UUID?, String, Int16, UUID?, String, String, String, Date, Date?, String?).self
            )
        {
            events.append(
                EventRecord(
                    id: id,
                    tenantID: tenantID,
                    kind: kind,
                    severity: EventSeverity(rawValue: Int(severity)) ?? .info,
                    serverID: serverID,
                    message: message,
                    details: (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:],
                    actor: actor,
                    createdAt: createdAt,
                    readAt: readAt,
                    readBy: readBy
                )
            )
        }
        return events
    }

    /// How many unread events match `filter` (its `unreadOnly` makes no difference).
    public func unreadCount(_ filter: Filter) async throws -> Int {
        let rows = try await self.client.tracedQuery(
            """
            SELECT count(*) FROM events
            WHERE read_at IS NULL
              AND (\(filter.tenantID)::uuid IS NULL OR tenant_id = \(filter.tenantID))
              AND (\(filter.serverID)::uuid IS NULL OR server_id = \(filter.serverID))
              AND severity >= \(filter.minimumSeverity.rawValue)
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
            """,
            logger: self.logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// What marking events read did.
    public struct MarkedRead: Sendable, Hashable {
        /// Events this call marked (events read before are not counted).
        public var marked: Int
        /// The tenant's events still unread afterwards.
        public var unread: Int

        public init(marked: Int, unread: Int) {
            self.marked = marked
            self.unread = unread
        }
    }

    /// Marks the tenant's events with these ids read by `keyID`; ids of other tenants' (or
    /// platform) events, unknown ids and events already read are left as they are.
    public func markRead(tenantID: UUID, ids: [Int64], by keyID: String) async throws -> MarkedRead {
        try await self.markRead(tenantID: tenantID, ids: ids, all: false, by: keyID)
    }

    /// Marks every unread event of the tenant up to now read by `keyID`.
    public func markAllRead(tenantID: UUID, by keyID: String) async throws -> MarkedRead {
        try await self.markRead(tenantID: tenantID, ids: [], all: true, by: keyID)
    }

    private func markRead(tenantID: UUID, ids: [Int64], all: Bool, by keyID: String) async throws -> MarkedRead {
        // One statement: the count sees the table as it was before this update, so the
        // rows it marked are subtracted.
        let rows = try await self.client.tracedQuery(
            """
            WITH marked AS (
                UPDATE events SET read_at = now(), read_by = \(keyID)
                WHERE tenant_id = \(tenantID) AND read_at IS NULL
                  AND (\(all) OR id = ANY(\(ids)::int8[]))
                RETURNING id
            )
            SELECT (SELECT count(*) FROM marked),
                   (SELECT count(*) FROM events WHERE tenant_id = \(tenantID) AND read_at IS NULL)
                       - (SELECT count(*) FROM marked)
            """,
            logger: self.logger
        )
        for try await (marked, unread) in rows.decode((Int64, Int64).self) {
            return MarkedRead(marked: Int(marked), unread: Int(max(0, unread)))
        }
        return MarkedRead(marked: 0, unread: 0)
    }
}
