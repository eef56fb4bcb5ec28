import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `webhook_deliveries` outbox as delivery workers see it. Deliveries are queued by
/// `EventRepository.append` with their event; workers on any replica claim due ones with
/// `FOR UPDATE SKIP LOCKED` under a lease (a replica that dies leaves rows whose lease runs
/// out, and another takes them), post them, and record each attempt with its outcome.
public struct WebhookOutbox: Sendable {
    let client: PostgresClient
    let vault: Vault
    let logger: Logger

    public init(client: PostgresClient, vault: Vault, logger: Logger) {
        self.client = client
        self.vault = vault
        self.logger = logger
    }

    /// Claims up to `limit` due deliveries of enabled subscriptions for `owner` until
    /// `lease` runs out, oldest due first: pending ones whose time has come, and ones whose
    /// previous worker's lease ran out. Deliveries of a disabled subscription wait.
    public func claim(owner: String, limit: Int, lease: Duration) async throws -> [ClaimedWebhookDelivery] {
        let rows = try await self.client.tracedQuery(
            """
            WITH picked AS (
                SELECT d.id, d.subscription_id, d.tenant_id, d.event_id FROM webhook_deliveries d
                JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.enabled
                WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= now()
                  AND (d.state = 'pending' OR d.lease_expires_at < now())
                ORDER BY d.next_attempt_at
                LIMIT \(limit)
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE webhook_deliveries d SET state = 'sending', lease_owner = \(owner),
                lease_expires_at = now() + make_interval(secs => \(lease.seconds)),
                attempts = d.attempts + 1, updated_at = now()
            FROM picked p
            JOIN webhook_subscriptions s ON s.id = p.subscription_id
            JOIN events e ON e.id = p.event_id
            JOIN tenants t ON t.id = p.tenant_id
            LEFT JOIN output_servers o ON o.id = e.server_id
            WHERE d.id = p.id
            RETURNING d.id, d.subscription_id, d.tenant_id, s.url, s.secret_sealed, d.attempts, d.created_at,
                e.id, e.kind, e.severity, e.server_id, o.name, e.message, e.details::text, e.created_at, t.slug
            """,
            logger: self.logger
        )
        var claimed: [ClaimedWebhookDelivery] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            let tenantID = try c[2].decode(UUID.self)
            let subscriptionID = try c[1].decode(UUID.self)
            let sealed = try c[4].decode(String.self)
            let details = try c[13].decode(String.self)
            claimed.append(
                ClaimedWebhookDelivery(
                    id: try c[0].decode(UUID.self),
                    subscriptionID: subscriptionID,
                    tenantID: tenantID,
                    url: try c[3].decode(String.self),
                    secret: try? self.vault.open(
                        sealed,
                        at: WebhookSubscriptionRepository.location(tenantID: tenantID, subscriptionID: subscriptionID)
                    ),
                    payload: WebhookPayload(
                        eventID: try c[7].decode(Int64.self),
                        kind: try c[8].decode(String.self),
                        severity: EventSeverity(rawValue: Int(try c[9].decode(Int16.self))) ?? .info,
                        tenantID: tenantID,
                        tenantSlug: try c[15].decode(String.self),
                        serverID: try c[10].decode(UUID?.self),
                        serverName: try c[11].decode(String?.self),
                        createdAt: try c[14].decode(Date.self),
                        message: try c[12].decode(String.self),
                        details: (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:]
                    ),
                    attempt: try c[5].decode(Int.self),
                    createdAt: try c[6].decode(Date.self)
                )
            )
        }
        return claimed
    }

    /// How an attempt ended for the delivery.
    public enum Outcome: Sendable, Hashable {
        /// The receiver answered 2xx.
        case delivered
        /// Back to pending, due at this time.
        case retry(at: Date)
        /// Given up: no more attempts.
        case failed
    }

    /// Records `attempt` and moves the delivery on (delivered, back to pending until
    /// `retry`'s time, or failed), in one statement, if `owner` still holds the claim that
    /// attempt was (its number is the claim's); whether it did (a lease that ran out and was
    /// claimed again, by another replica or another slot of this one, is not).
    @discardableResult
    public func complete(
        _ deliveryID: UUID,
        owner: String,
        attempt: WebhookAttemptRecord,
        outcome: Outcome
    ) async throws -> Bool {
        let (state, next): (WebhookDeliveryState, Date?) =
            switch outcome {
            case .delivered: (.delivered, nil)
            case .retry(let at): (.pending, at)
            case .failed: (.failed, nil)
            }
        let lastError = outcome == .delivered ? "" : attempt.error
        let rows = try await self.client.tracedQuery(
            """
            WITH done AS (
                UPDATE webhook_deliveries SET state = \(state.rawValue),
                    next_attempt_at = coalesce(\(next), next_attempt_at), last_error = \(lastError),
                    delivered_at = CASE WHEN \(state.rawValue) = 'delivered' THEN now() END,
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE id = \(deliveryID) AND lease_owner = \(owner) AND state = 'sending'
                  -- The claim this attempt was: another slot of the same replica may hold a later one.
                  AND attempts = \(attempt.attempt)
                RETURNING id
            )
            INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status, response_excerpt, error)
            SELECT id, \(attempt.attempt), \(attempt.startedAt), \(attempt.durationMilliseconds), \(attempt.status),
                \(attempt.responseExcerpt), \(attempt.error)
            FROM done
            RETURNING delivery_id
            """,
            logger: self.logger
        )
        for try await _ in rows { return true }
        return false
    }

    /// A subscription's deliveries, newest first, each with its newest `attemptsEach`
    /// attempts; `before` (a delivery id of the previous page) pages.
    public func deliveries(
        tenantID: UUID,
        subscriptionID: UUID,
        before: UUID?,
        limit: Int,
        attemptsEach: Int = 10
    ) async throws -> [WebhookDeliveryRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT d.id, d.subscription_id, d.event_id, e.kind, d.state, d.attempts, d.created_at,
                d.next_attempt_at, d.delivered_at, d.last_error
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.tenant_id = \(tenantID) AND d.subscription_id = \(subscriptionID)
              AND (\(before)::uuid IS NULL OR (d.created_at, d.id) < (
                  SELECT b.created_at, b.id FROM webhook_deliveries b
                  WHERE b.id = \(before) AND b.tenant_id = \(tenantID)))
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT \(limit)
            """,
            logger: self.logger
        )
        var deliveries: [WebhookDeliveryRecord] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            deliveries.append(
                WebhookDeliveryRecord(
                    id: try c[0].decode(UUID.self),
                    subscriptionID: try c[1].decode(UUID.self),
                    eventID: try c[2].decode(Int64.self),
                    eventKind: try c[3].decode(String.self),
                    state: WebhookDeliveryState(rawValue: try c[4].decode(String.self)) ?? .pending,
                    attempts: try c[5].decode(Int.self),
                    createdAt: try c[6].decode(Date.self),
                    nextAttemptAt: try c[7].decode(Date.self),
                    deliveredAt: try c[8].decode(Date?.self),
                    lastError: try c[9].decode(String.self),
                    attemptLog: []
                )
            )
        }
        guard !deliveries.isEmpty else { return [] }
        let attempts = try await self.client.tracedQuery(
            """
            SELECT delivery_id, attempt, started_at, duration_ms, status, response_excerpt, error FROM (
                SELECT a.*, row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.attempt DESC, a.id DESC) AS n
                FROM webhook_attempts a WHERE a.delivery_id = ANY(\(deliveries.map(\.id)))
            ) ranked
            WHERE n <= \(attemptsEach)
            ORDER BY delivery_id, attempt DESC
            """,
            logger: self.logger
        )
        var log: [UUID: [WebhookAttemptRecord]] = [:]
        for try await (id, attempt, startedAt, duration, status, excerpt, error) in attempts.decode(
            (UUID, Int, Date, Int, Int, String, String).self
        ) {
            log[id, default: []].append(
                WebhookAttemptRecord(
                    attempt: attempt,
                    startedAt: startedAt,
                    durationMilliseconds: duration,
                    status: status,
                    responseExcerpt: excerpt,
                    error: error
                )
            )
        }
        for index in deliveries.indices { deliveries[index].attemptLog = log[deliveries[index].id] ?? [] }
        return deliveries
    }
}
