import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `webhook_subscriptions` table: each tenant's webhook URLs and their signing secrets,
/// sealed by the vault (bound to the tenant, the subscription and the column). Every
/// function takes the tenant id of the authenticated key.
public struct WebhookSubscriptionRepository: Sendable {
    let client: PostgresClient
    let vault: Vault
    let logger: Logger

    /// The column name sealed secrets are bound to.
    static let secretColumn = "webhook_secret"

    static let columns = """
        id, tenant_id, name, url, kinds, min_severity, enabled, secret_created_at, created_at, updated_at
        """

    public init(client: PostgresClient, vault: Vault, logger: Logger) {
        self.client = client
        self.vault = vault
        self.logger = logger
    }

    /// Where a subscription's secret is sealed: the AAD that binds it to its row.
    static func location(tenantID: UUID, subscriptionID: UUID) -> SecretLocation {
        SecretLocation(tenantID: tenantID.uuidString, serverID: subscriptionID.uuidString, column: Self.secretColumn)
    }

    /// What a put did: the stored subscription and, only when it was created, its new secret.
    public struct PutOutcome: Sendable {
        public var subscription: WebhookSubscriptionRecord
        public var created: Bool
        /// The signing secret, generated for a new subscription; nil on update.
        public var secret: Secret?
    }

    /// Creates the subscription named `definition.name`, with a new signing secret, or
    /// replaces its definition (keeping its secret); with its audit event, by `actor`.
    public func put(tenantID: UUID, _ definition: WebhookSubscriptionDefinition, actor: String) async throws
        -> PutOutcome
    {
        let id = UUID()
        let secret = WebhookSecret.generate()
        let sealed = self.vault.seal(secret, at: Self.location(tenantID: tenantID, subscriptionID: id))
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO webhook_subscriptions (id, tenant_id, name, url, kinds, min_severity, enabled, secret_sealed)
                VALUES (\(id), \(tenantID), \(definition.name), \(definition.url), \(definition.kinds),
                        \(definition.minimumSeverity.rawValue), \(definition.enabled), \(sealed))
                ON CONFLICT (tenant_id, name) DO UPDATE SET
                    url = excluded.url, kinds = excluded.kinds, min_severity = excluded.min_severity,
                    enabled = excluded.enabled, updated_at = now()
                RETURNING \(unescaped: Self.columns), (xmax = 0) AS created
                """,
                logger: self.logger
            )
            var outcome: PutOutcome?
            for try await row in rows {
                let created = try row.makeRandomAccess()[10].decode(Bool.self)
                // The row kept its own id and secret on update: the one sealed here is dropped.
                outcome = PutOutcome(
                    subscription: try Self.decode(row),
                    created: created,
                    secret: created ? secret : nil
                )
            }
            guard let outcome else {
                throw StoreError(.notFound, "The subscription \(definition.name) was not stored.")
            }
            try await self.audit(
                outcome.created ? EventKind.webhookSubscriptionCreated : EventKind.webhookSubscriptionUpdated,
                outcome.subscription,
                what: outcome.created ? "created" : "changed",
                actor: actor,
                on: connection
            )
            return outcome
        }
    }

    /// The tenant's subscriptions by name.
    public func list(tenantID: UUID) async throws -> [WebhookSubscriptionRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) FROM webhook_subscriptions
            WHERE tenant_id = \(tenantID) ORDER BY name
            """,
            logger: self.logger
        )
        var records: [WebhookSubscriptionRecord] = []
        for try await row in rows { records.append(try Self.decode(row)) }
        return records
    }

    /// The tenant's subscription with this id or name.
    public func find(tenantID: UUID, idOrName: String) async throws -> WebhookSubscriptionRecord? {
        let lookup = IDOrName(idOrName, nameColumn: "name")
        let rows = try await self.client.tracedQuery(
            """
            SELECT \(unescaped: Self.columns) FROM webhook_subscriptions
            WHERE tenant_id = \(tenantID) AND \(unescaped: lookup.column) = \(lookup.value)
            """,
            logger: self.logger
        )
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// Deletes the subscription and its deliveries, with its audit event by `actor`;
    /// `notFound` when the tenant has none such.
    public func delete(tenantID: UUID, idOrName: String, actor: String) async throws -> WebhookSubscriptionRecord {
        let lookup = IDOrName(idOrName, nameColumn: "name")
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                DELETE FROM webhook_subscriptions
                WHERE tenant_id = \(tenantID) AND \(unescaped: lookup.column) = \(lookup.value)
                RETURNING \(unescaped: Self.columns)
                """,
                logger: self.logger
            )
            var deleted: WebhookSubscriptionRecord?
            for try await row in rows { deleted = try Self.decode(row) }
            guard let deleted else {
                throw StoreError(.notFound, "No webhook subscription \(idOrName) in this tenant.")
            }
            try await self.audit(
                EventKind.webhookSubscriptionDeleted,
                deleted,
                what: "deleted",
                actor: actor,
                on: connection
            )
            return deleted
        }
    }

    /// Replaces the signing secret with a new one and returns it; deliveries signed from
    /// now on use it. With its audit event by `actor`; `notFound` when the tenant has no
    /// such subscription.
    public func rotateSecret(tenantID: UUID, idOrName: String, actor: String) async throws -> (
        subscription: WebhookSubscriptionRecord, secret: Secret
    ) {
        guard let existing = try await self.find(tenantID: tenantID, idOrName: idOrName) else {
            throw StoreError(.notFound, "No webhook subscription \(idOrName) in this tenant.")
        }
        let secret = WebhookSecret.generate()
        let sealed = self.vault.seal(secret, at: Self.location(tenantID: tenantID, subscriptionID: existing.id))
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_subscriptions SET secret_sealed = \(sealed), secret_created_at = now(), updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(existing.id)
                RETURNING \(unescaped: Self.columns)
                """,
                logger: self.logger
            )
            var rotated: WebhookSubscriptionRecord?
            for try await row in rows { rotated = try Self.decode(row) }
            guard let rotated else {
                throw StoreError(.notFound, "No webhook subscription \(idOrName) in this tenant.")
            }
            try await self.audit(
                EventKind.webhookSecretRotated,
                rotated,
                what: "given a new signing secret",
                actor: actor,
                on: connection
            )
            return (rotated, secret)
        }
    }

    /// Raises a `webhook_test` event by `actor` queued for the enabled subscription alone
    /// (its filters aside); `notFound` when the tenant has no such subscription,
    /// `invalidState` when it is disabled.
    public func sendTestEvent(tenantID: UUID, idOrName: String, actor: String) async throws -> QueuedWebhookDelivery {
        guard let subscription = try await self.find(tenantID: tenantID, idOrName: idOrName) else {
            throw StoreError(.notFound, "No webhook subscription \(idOrName) in this tenant.")
        }
        guard subscription.definition.enabled else {
            throw StoreError(
                .invalidState,
                "The webhook subscription \(subscription.definition.name) is disabled: enable it to send it events."
            )
        }
        let name = subscription.definition.name
        return try await self.client.transaction(logger: self.logger) { connection in
            let queued = try await EventRepository.append(
                NewEvent(
                    tenantID: tenantID,
                    kind: EventKind.webhookTest,
                    message: "Test event for the webhook subscription \(name).",
                    details: ["subscription": subscription.id.uuidString.lowercased(), "name": name],
                    actor: actor
                ),
                on: connection,
                logger: self.logger,
                onlyTo: subscription.id
            )
            guard let delivery = queued.first else {
                throw StoreError(.notFound, "The webhook subscription \(name) was deleted meanwhile.")
            }
            return delivery
        }
    }

    /// The audit event of a change to `subscription`: its name and the URL's host (the
    /// path or query may carry the receiver's own token), never the secret.
    private func audit(
        _ kind: String,
        _ subscription: WebhookSubscriptionRecord,
        what: String,
        actor: String,
        on connection: PostgresConnection
    ) async throws {
        let host = URLComponents(string: subscription.definition.url)?.host ?? ""
        try await EventRepository.append(
            NewEvent(
                tenantID: subscription.tenantID,
                kind: kind,
                message: "Webhook subscription \(subscription.definition.name) (\(host)) \(what).",
                details: [
                    "subscription": subscription.id.uuidString.lowercased(),
                    "name": subscription.definition.name, "host": host,
                ],
                actor: actor
            ),
            on: connection,
            logger: self.logger
        )
    }

    static func decode(_ row: PostgresRow) throws -> WebhookSubscriptionRecord {
        let columns = row.makeRandomAccess()
        return WebhookSubscriptionRecord(
            id: try columns[0].decode(UUID.self),
            tenantID: try columns[1].decode(UUID.self),
            definition: WebhookSubscriptionDefinition(
                name: try columns[2].decode(String.self),
                url: try columns[3].decode(String.self),
                kinds: try columns[4].decode([String].self),
                minimumSeverity: EventSeverity(rawValue: Int(try columns[5].decode(Int16.self))) ?? .info,
                enabled: try columns[6].decode(Bool.self)
            ),
            secretCreatedAt: try columns[7].decode(Date.self),
            createdAt: try columns[8].decode(Date.self),
            updatedAt: try columns[9].decode(Date.self)
        )
    }
}
