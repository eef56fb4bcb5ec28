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
            try await Self.append(event, on: connection, logger: self.logger)
        }
    }

    /// Appends an event on `connection`, inside the caller's transaction, so the
    /// change and its audit event commit together.
    public static func append(_ event: NewEvent, on connection: PostgresConnection, logger: Logger) async throws {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO events (tenant_id, kind, severity, server_id, message, details, actor)
            VALUES (\(event.tenantID), \(event.kind), \(event.severity.rawValue), \(event.serverID),
                    \(event.message), \(details)::jsonb, \(event.actor))
            """,
            logger: logger
        )
    }

    /// Events newest first. `tenantID` nil lists every tenant's and the platform's
    /// (operators only); `beforeID` pages.
    public func list(
        tenantID: UUID?,
        serverID: UUID? = nil,
        minimumSeverity: EventSeverity = .info,
        kind: String? = nil,
        beforeID: Int64? = nil,
        limit: Int
    ) async throws -> [EventRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT id, tenant_id, kind, severity, server_id, message, details::text, actor, created_at
            FROM events
            WHERE (\(tenantID)::uuid IS NULL OR tenant_id = \(tenantID))
              AND (\(serverID)::uuid IS NULL OR server_id = \(serverID))
              AND severity >= \(minimumSeverity.rawValue)
              AND (\(kind)::text IS NULL OR kind = \(kind))
              AND (\(beforeID)::int8 IS NULL OR id < \(beforeID))
            ORDER BY id DESC
            LIMIT \(limit)
            """,
            logger: self.logger
        )
        var events: [EventRecord] = []
        for try await (id, tenantID, kind, severity, serverID, message, details, actor, createdAt) in rows.decode(
            (Int64, UUID?, String, Int16, UUID?, String, String, String, Date).self
        ) {
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
                    createdAt: createdAt
                )
            )
        }
        return events
    }
}
