import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `tenants` table. Callers validate input first (`TenantRules`); the table's
/// constraints are the second wall.
public struct TenantRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        id, slug, display_name, status, alert_contacts, created_at, updated_at, expiry_warning_days, delivery_weight,
        quota_queued_messages, quota_queued_bytes, quota_sends_per_minute, quota_schedule_ahead_seconds,
        quota_validations_per_minute, quota_token_refreshes_per_minute
        """

    /// Creates a tenant and its audit event; `alreadyExists` when the slug is taken.
    public func create(slug: String, displayName: String, alertContacts: [String], actor: String) async throws
        -> TenantRecord
    {
        do {
            return try await self.client.transaction(logger: self.logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO tenants (id, slug, display_name, alert_contacts)
                    VALUES (\(UUID()), \(slug), \(displayName), \(alertContacts))
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: self.logger
                )
                let tenant = try await Self.decode(rows).first!
                try await EventRepository.append(
                    NewEvent(
                        tenantID: tenant.id,
                        kind: EventKind.tenantCreated,
                        message: "Tenant \(slug) created.",
                        actor: actor
                    ),
                    on: connection,
                    logger: self.logger
                )
                return tenant
            }
        } catch  where error.isUniqueViolation {
            throw StoreError(.alreadyExists, "A tenant with slug \(slug) already exists.")
        }
    }

    /// The tenant with this id or slug.
    public func find(idOrSlug: String) async throws -> TenantRecord? {
        let lookup = IDOrName(idOrSlug, nameColumn: "slug")
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) FROM tenants
            WHERE \(unescaped: lookup.column) = \(lookup.value)
            """,
            logger: self.logger
        )
        return try await Self.decode(rows).first
    }

    /// Tenants ordered by slug, after `afterSlug`.
    public func list(afterSlug: String?, limit: Int) async throws -> [TenantRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) FROM tenants
            WHERE \(afterSlug)::text IS NULL OR slug > \(afterSlug)
            ORDER BY slug LIMIT \(limit)
            """,
            logger: self.logger
        )
        return try await Self.decode(rows)
    }

    /// Changes the given fields (nil: unchanged; `quotas` replaces the tenant's own quotas
    /// whole); writes `tenant_disabled` / `tenant_enabled` / `tenant_updated`.
    public func update(
        id: UUID,
        displayName: String?,
        status: TenantStatus?,
        alertContacts: [String]?,
        expiryWarningDays: [Int]?? = nil,
        deliveryWeight: Int? = nil,
        quotas: TenantQuotas? = nil,
        actor: String
    ) async throws -> TenantRecord {
        try await self.client.transaction(logger: self.logger) { connection in
            let currentRows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM tenants WHERE id = \(id) FOR UPDATE",
                logger: self.logger
            )
            guard let current = try await Self.decode(currentRows).first else {
                throw StoreError(.notFound, "No such tenant.")
            }
            let rows = try await connection.query(
                """
                UPDATE tenants SET
                    display_name = \(displayName ?? current.displayName),
                    status = \((status ?? current.status).rawValue),
                    alert_contacts = \(alertContacts ?? current.alertContacts),
                    expiry_warning_days = \(expiryWarningDays ?? current.expiryWarningDays),
                    delivery_weight = \(deliveryWeight ?? current.deliveryWeight),
                    quota_queued_messages = \((quotas ?? current.quotas).queuedMessages),
                    quota_queued_bytes = \((quotas ?? current.quotas).queuedBytes),
                    quota_sends_per_minute = \((quotas ?? current.quotas).sendsPerMinute),
                    quota_schedule_ahead_seconds = \((quotas ?? current.quotas).scheduleAheadSeconds),
                    quota_validations_per_minute = \((quotas ?? current.quotas).validationsPerMinute),
                    quota_token_refreshes_per_minute = \((quotas ?? current.quotas).tokenRefreshesPerMinute),
                    updated_at = now()
                WHERE id = \(id)
                RETURNING \(unescaped: Self.columns)
                """,
                logger: self.logger
            )
            let updated = try await Self.decode(rows).first!
            var changed: [String] = []
            if updated.displayName != current.displayName { changed.append("display_name") }
            if updated.alertContacts != current.alertContacts { changed.append("alert_contacts") }
            if updated.status != current.status { changed.append("status") }
            if updated.expiryWarningDays != current.expiryWarningDays { changed.append("expiry_warning_days") }
            if updated.deliveryWeight != current.deliveryWeight { changed.append("delivery_weight") }
            if updated.quotas != current.quotas { changed.append("quotas") }
            let (kind, severity, message): (String, EventSeverity, String) =
                switch (current.status, updated.status) {
                case (.active, .disabled):
                    (
                        EventKind.tenantDisabled, .warning,
                        "Tenant \(current.slug) disabled: its keys are refused; queued mail stays queued."
                    )
                case (.disabled, .active):
                    (EventKind.tenantEnabled, .info, "Tenant \(current.slug) enabled.")
                default:
                    (EventKind.tenantUpdated, .info, "Tenant \(current.slug) updated.")
                }
            try await EventRepository.append(
                NewEvent(
                    tenantID: id,
                    kind: kind,
                    severity: severity,
                    message: message,
                    details: ["changed": changed.joined(separator: ",")],
                    actor: actor
                ),
                on: connection,
                logger: self.logger
            )
            return updated
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [TenantRecord] {
        var tenants: [TenantRecord] = []
        for try await row in rows {
            let (id, slug, displayName, status, contacts, createdAt, updatedAt, warningDays, weight) = try row.decode(
                (UUID, String, String, String, [String], Date, Date, [Int]?, Int).self
            )
            let columns = row.makeRandomAccess()
            tenants.append(
                TenantRecord(
                    id: id,
                    slug: slug,
                    displayName: displayName,
                    status: TenantStatus(rawValue: status) ?? .disabled,
                    alertContacts: contacts,
                    expiryWarningDays: warningDays,
                    deliveryWeight: weight,
                    quotas: TenantQuotas(
                        queuedMessages: try columns["quota_queued_messages"].decode(Int?.self),
                        queuedBytes: try columns["quota_queued_bytes"].decode(Int?.self),
                        sendsPerMinute: try columns["quota_sends_per_minute"].decode(Int?.self),
                        scheduleAheadSeconds: try columns["quota_schedule_ahead_seconds"].decode(Int?.self),
                        validationsPerMinute: try columns["quota_validations_per_minute"].decode(Int?.self),
                        tokenRefreshesPerMinute: try columns["quota_token_refreshes_per_minute"].decode(Int?.self)
                    ),
                    createdAt: createdAt,
                    updatedAt: updatedAt
                )
            )
        }
        return tenants
    }
}
