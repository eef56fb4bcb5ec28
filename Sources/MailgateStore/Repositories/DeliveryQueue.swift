import Foundation
import Logging
import MailgateCore
import PostgresNIO
import Synchronization

/// The `messages` table as delivery workers see it: claims under a lease, results,
/// lease renewal and recovery, per-server limits shared by every replica, and purging.
public struct DeliveryQueue: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// At most this many queues are looked at per claim, from where the last claim stopped.
    let queuesPerClaim: Int
    private let walk = QueueWalk()

    /// Windows of `queuesPerClaim` queues a claim looks through for due mail before it gives up
    /// (the worker then waits for its poll interval or a wake-up).
    static let maximumWindowsPerClaim = 64

    public init(client: PostgresClient, logger: Logger, queuesPerClaim: Int = 256) {
        self.client = client
        self.logger = logger
        self.queuesPerClaim = queuesPerClaim
    }

    /// Claims up to `limit` due messages for `owner` until `lease` runs out.
    ///
    /// Mail is taken in turns: each (tenant, server) queue with due mail gives its oldest
    /// message, then the next, and so on, a tenant's turns shared by its servers and
    /// scaled by its delivery weight. So one tenant's backlog costs the others at most
    /// their share of the workers, on every replica alike. Rows are taken with
    /// `FOR UPDATE SKIP LOCKED`, so replicas never claim the same message. For a server
    /// with a rate, connection or daily recipient limit, claims are serialized by an
    /// advisory lock on the server and count what every replica has claimed; a server at
    /// its limit is skipped by all replicas until it frees up.
    public func claim(owner: String, token: UUID, limit: Int, lease: Duration) async throws -> [ClaimedMessage] {
        try await self.client.transaction(logger: self.logger) { connection in
            var candidates: [(UUID, UUID, Int)] = []
            // A window with nothing due moves on to the next at once, until the walk went round.
            for _ in 0..<Self.maximumWindowsPerClaim {
                let start = self.walk.start
                let found = try await connection.query(
                    Self.fairCandidates(limit: limit, after: start, queues: self.queuesPerClaim),
                    logger: self.logger
                ).decode((UUID?, UUID?, Int?, UUID?, UUID?, Bool).self).all()
                let resume = found.first.flatMap { row in
                    row.3.flatMap { tenant in row.4.map { QueueKey(tenantID: tenant, serverID: $0) } }
                }
                if found.first?.5 != true { self.walk.walked(from: start, to: resume) }
                candidates = found.compactMap { row in
                    row.0.flatMap { id in row.1.flatMap { server in row.2.map { (id, server, $0) } } }
                }
                if !candidates.isEmpty || resume == nil { break }
            }
            guard !candidates.isEmpty else { return [] }
            let (chosen, probes) = try await ServerLimits.admit(
                candidates.map { Candidate(id: $0.0, serverID: $0.1, recipients: $0.2) },
                probeWindow: lease,
                on: connection,
                logger: self.logger
            )
            guard !chosen.isEmpty else { return [] }
            let rows = try await connection.query(
                """
                UPDATE messages SET state = 'sending', lease_owner = \(owner), lease_token = \(token),
                    attempt_started_at = NULL, lease_expires_at = now() + make_interval(secs => \(lease.seconds)),
                    claimed_at = now(), attempts = attempts + 1, updated_at = now()
                WHERE id = ANY(\(chosen))
                RETURNING id, tenant_id, server_id, envelope_from, pending_recipients, body, requires_smtputf8, attempts,
                    greatest(created_at, coalesce(not_before, created_at)), sent_at IS NOT NULL
                """,
                logger: self.logger
            )
            var claimed: [ClaimedMessage] = []
            for try await (id, tenantID, serverID, from, recipients, body, smtputf8, attempt, queuedAt, partlyDelivered)
                in rows.decode(
                    (UUID, UUID, UUID, String, [String], ByteBuffer?, Bool, Int, Date, Bool).self
                )
            {
                claimed.append(
                    ClaimedMessage(
                        id: id,
                        tenantID: tenantID,
                        serverID: serverID,
                        envelopeFrom: from,
                        recipients: recipients,
                        body: body.map { Array($0.readableBytesView) } ?? [],
                        requiresSMTPUTF8: smtputf8,
                        attempt: attempt,
                        queuedAt: queuedAt,
                        partlyDelivered: partlyDelivered,
                        probesBlockedServer: probes.contains(serverID)
                    )
                )
            }
            return claimed
        }
    }

    /// Up to `limit` due messages (id, server, recipients), in turns across queues, each row with
    /// where the next claim's walk starts (all rows alike; one row with only that when nothing is
    /// due): a queue, or `stay` (true: start where this one did), or nulls (from the first queue).
    ///
    /// The queues with queued mail are found by skipping through `messages_queues` (one
    /// index probe per queue, whatever the number of rows): at most `queues` of them, from the one
    /// after `after` (wrapping around to the first), so a claim's cost does not grow with the
    /// number of queues, and successive claims go round all of them (with 10,000 queues, a walk
    /// over all took 94 ms a claim). Of those with due mail, up to `limit` are considered: each
    /// tenant's longest-waiting queue first, then each tenant's second, and so on. Each considered queue locks at most about twice its fair
    /// part of the batch. A tenant's messages are numbered across its queues (the first of
    /// each queue, then the second of each, …); a message's turn is that number over the
    /// tenant's weight, and the batch takes the first turns, the oldest first among equal
    /// turns. So every tenant with due mail gets its weighted share of each batch, however
    /// many servers it has, and a tenant's servers share its turns.
    static func fairCandidates(limit: Int, after start: QueueKey, queues walkLimit: Int) -> PostgresQuery {
        """
        WITH RECURSIVE onward AS (
            (SELECT tenant_id, server_id, 1 AS step FROM messages
             WHERE state = 'queued' AND (tenant_id, server_id) > (\(start.tenantID), \(start.serverID))
             ORDER BY tenant_id, server_id LIMIT 1)
            UNION ALL
            SELECT n.tenant_id, n.server_id, q.step + 1 FROM onward q CROSS JOIN LATERAL (
                SELECT m.tenant_id, m.server_id FROM messages m
                WHERE m.state = 'queued' AND (m.tenant_id, m.server_id) > (q.tenant_id, q.server_id)
                ORDER BY m.tenant_id, m.server_id LIMIT 1
            ) n
            WHERE q.step < \(walkLimit)
        ), wrapped AS (
            (SELECT tenant_id, server_id, (SELECT count(*) FROM onward) + 1 AS step FROM messages
             WHERE state = 'queued' AND (tenant_id, server_id) <= (\(start.tenantID), \(start.serverID))
               AND (SELECT count(*) FROM onward) < \(walkLimit)
             ORDER BY tenant_id, server_id LIMIT 1)
            UNION ALL
            SELECT n.tenant_id, n.server_id, q.step + 1 FROM wrapped q CROSS JOIN LATERAL (
                SELECT m.tenant_id, m.server_id FROM messages m
                WHERE m.state = 'queued' AND (m.tenant_id, m.server_id) > (q.tenant_id, q.server_id)
                  AND (m.tenant_id, m.server_id) <= (\(start.tenantID), \(start.serverID))
                ORDER BY m.tenant_id, m.server_id LIMIT 1
            ) n
            WHERE q.step < \(walkLimit)
        ), queues AS (
            SELECT tenant_id, server_id, step FROM onward UNION ALL SELECT tenant_id, server_id, step FROM wrapped
        ), due AS (
            SELECT q.tenant_id, q.server_id, q.step, o.oldest, t.delivery_weight AS weight,
                row_number() OVER (PARTITION BY q.tenant_id ORDER BY o.oldest) AS queue_rank
            FROM queues q
            -- A disabled tenant's mail is held: neither sent nor failed, until it is enabled.
            JOIN tenants t ON t.id = q.tenant_id AND t.status = 'active'
            CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS oldest FROM messages m
                WHERE m.tenant_id = q.tenant_id AND m.server_id = q.server_id AND m.state = 'queued'
                ORDER BY m.tenant_id, m.server_id, m.next_attempt_at LIMIT 1
            ) o
            WHERE o.oldest <= now()
              AND NOT EXISTS (
                  SELECT 1 FROM server_throttles s WHERE s.server_id = q.server_id AND s.throttled_until > now()
              )
        ), considered AS (
            SELECT d.* FROM due d ORDER BY d.queue_rank, d.oldest LIMIT \(limit)
        ), shares AS (
            SELECT c.*, count(*) OVER (PARTITION BY c.tenant_id) AS tenant_queues FROM considered c
        ), weighted AS (
            -- The sum over queues of weight / the tenant's queues is the sum of the tenants' weights.
            SELECT s.*, sum(s.weight::numeric / s.tenant_queues) OVER () AS total_weight FROM shares s
        ), candidates AS (
            SELECT c.id, c.server_id, c.recipients, c.next_attempt_at, q.tenant_id, q.weight, q.oldest,
                row_number() OVER (PARTITION BY q.tenant_id, q.server_id ORDER BY c.next_attempt_at) AS place
            FROM weighted q CROSS JOIN LATERAL (
                SELECT m.id, m.server_id, cardinality(m.pending_recipients) AS recipients, m.next_attempt_at
                FROM messages m
                WHERE m.tenant_id = q.tenant_id AND m.server_id = q.server_id AND m.state = 'queued'
                  AND m.next_attempt_at <= now()
                -- In the index's order, so that the planner walks this queue alone.
                ORDER BY m.tenant_id, m.server_id, m.next_attempt_at
                LIMIT least(\(limit), ceil(2 * \(limit) * q.weight::numeric / q.total_weight / q.tenant_queues)::bigint)
                FOR UPDATE OF m SKIP LOCKED
            ) c
        ), turns AS (
            SELECT c.*,
                row_number() OVER (PARTITION BY c.tenant_id ORDER BY c.place, c.oldest, c.server_id)
                    / c.weight::numeric AS turn
            FROM candidates c
        ), picked AS (
            SELECT id, server_id, recipients, turn, next_attempt_at FROM turns
            ORDER BY turn, next_attempt_at LIMIT \(limit)
        ), left_out AS (
            -- The first queue in walk order with due mail that this claim did not consider.
            SELECT min(d.step) AS step FROM due d
            WHERE NOT EXISTS (SELECT 1 FROM considered c WHERE c.tenant_id = d.tenant_id AND c.server_id = d.server_id)
        ), resume AS (
            -- Where the next claim starts: just before the first due queue left out (the same
            -- place when that is the first queue walked), else after the last queue looked at
            -- when the walk was cut short; nothing when the walk saw every queue.
            SELECT q.tenant_id, q.server_id, false AS stay FROM queues q, left_out l WHERE q.step = l.step - 1
            UNION ALL
            SELECT NULL, NULL, true FROM left_out l WHERE l.step = 1
            UNION ALL
            SELECT q.tenant_id, q.server_id, false FROM queues q, left_out l
            WHERE l.step IS NULL AND q.step = \(walkLimit)
        )
        SELECT p.id, p.server_id, p.recipients, r.tenant_id, r.server_id, coalesce(r.stay, false)
        FROM (SELECT 1) one LEFT JOIN picked p ON true LEFT JOIN resume r ON true
        ORDER BY p.turn, p.next_attempt_at
        """
    }

    /// Writes the results of a batch in one transaction: state, history, per-recipient
    /// replies, and a `message_failed` event for each message that failed. A result for a
    /// message whose claim `token` is no longer current is dropped (its lease ran out
    /// and it was taken over). Returns the ids written.
    @discardableResult
    public func complete(owner: String, token: UUID, results: [AttemptResult]) async throws -> [UUID] {
        guard !results.isEmpty else { return [] }
        let document = String(decoding: try JSONEncoder().encode(results.map(ResultRow.init)), as: UTF8.self)
        return try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE messages m SET
                    state = r.state,
                    next_attempt_at = coalesce(to_timestamp(r.next_attempt), m.next_attempt_at),
                    pending_recipients = CASE WHEN r.pending IS NULL THEN m.pending_recipients
                        ELSE ARRAY(SELECT jsonb_array_elements_text(r.pending)) END,
                    last_reply = r.reply, last_error = r.error,
                    recipient_results = m.recipient_results || r.results,
                    uncertain = m.uncertain OR r.uncertain,
                    sent_at = CASE WHEN r.delivered THEN coalesce(m.sent_at, now()) ELSE m.sent_at END,
                    finished_at = CASE WHEN r.state IN ('sent', 'failed') THEN now() END,
                    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, attempt_started_at = NULL,
                    updated_at = now()
                FROM jsonb_to_recordset(\(document)::jsonb) AS r(
                    id uuid, state text, next_attempt float8, pending jsonb, reply text, error text,
                    results jsonb, uncertain boolean, delivered boolean
                )
                WHERE m.id = r.id AND m.state = 'sending' AND m.lease_token = \(token)
                RETURNING m.id, m.tenant_id, m.server_id, m.state, m.last_error, cardinality(m.recipients), m.internal
                """,
                logger: self.logger
            )
            var written: [UUID] = []
            var failures: [NewEvent] = []
            for try await (id, tenantID, serverID, state, error, recipientCount, isInternal) in rows.decode(
                (UUID, UUID, UUID, String, String, Int, Bool).self
            ) {
                written.append(id)
                if state == MessageState.failed.rawValue {
                    failures.append(
                        Self.failureEvent(
                            id: id,
                            tenantID: isInternal ? nil : tenantID,
                            serverID: serverID,
                            reason: error,
                            recipients: recipientCount
                        )
                    )
                }
            }
            guard !written.isEmpty else { return [] }
            try await connection.query(
                """
                INSERT INTO message_attempts (message_id, number, started_at, duration_ms, outcome, stage, reply_code, reply, worker)
                SELECT r.id, m.attempts, to_timestamp(r.started), r.duration, r.outcome, r.stage, r.code, r.reply, \(owner)
                FROM jsonb_to_recordset(\(document)::jsonb) AS r(
                    id uuid, started float8, duration int, outcome text, stage text, code int, reply text
                )
                JOIN messages m ON m.id = r.id
                WHERE r.id = ANY(\(written))
                ON CONFLICT DO NOTHING
                """,
                logger: self.logger
            )
            for event in failures {
                try await EventRepository.append(event, on: connection, logger: self.logger)
            }
            return written
        }
    }

    /// Puts claimed messages that were not attempted back in the queue (graceful shutdown).
    public func release(token: UUID, ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        try await self.client.tracedQuery(
            """
            UPDATE messages SET state = 'queued', lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                claimed_at = NULL, attempts = attempts - 1, updated_at = now()
            WHERE id = ANY(\(ids)) AND state = 'sending' AND lease_token = \(token)
            """,
            logger: self.logger
        )
    }

    /// Records that the SMTP transaction of a claimed message is about to start (servers
    /// whose uncertain policy is `fail`: only these may be failed after a crash).
    public func markStarted(token: UUID, id: UUID) async throws {
        try await self.client.tracedQuery(
            "UPDATE messages SET attempt_started_at = now() WHERE id = \(id) AND lease_token = \(token)",
            logger: self.logger
        )
    }

    /// Extends the leases of the claims `tokens` (those a replica's workers still hold);
    /// returns how many messages.
    @discardableResult
    public func renewLeases(tokens: [UUID], lease: Duration) async throws -> Int {
        guard !tokens.isEmpty else { return 0 }
        return try await self.client.changedRows(
            """
            UPDATE messages SET lease_expires_at = now() + make_interval(secs => \(lease.seconds))
            WHERE state = 'sending' AND lease_token = ANY(\(tokens))
            RETURNING 1
            """,
            logger: self.logger
        )
    }

    /// Takes back messages whose lease ran out (their replica died or lost the database):
    /// they are queued at once and marked uncertain, because the replica may have handed
    /// them to the SMTP server already. A server whose uncertain policy is `fail` records
    /// when each transaction starts, so there only a message that had started fails; the
    /// others are queued again as if never claimed. Returns how many.
    @discardableResult
    public func recoverExpiredLeases(limit: Int = 500) async throws -> Int {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                WITH expired AS (
                    SELECT id FROM messages WHERE state = 'sending' AND lease_expires_at < now()
                    ORDER BY lease_expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), recovered AS (
                    UPDATE messages m SET
                        state = CASE WHEN e.fails THEN 'failed' ELSE 'queued' END,
                        uncertain = m.uncertain OR NOT e.fail_policy OR m.attempt_started_at IS NOT NULL,
                        attempts = CASE WHEN e.fail_policy AND m.attempt_started_at IS NULL THEN m.attempts - 1 ELSE m.attempts END,
                        next_attempt_at = now(), lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                        attempt_started_at = NULL,
                        last_error = \(Self.leaseExpiredReason), updated_at = now(),
                        finished_at = CASE WHEN e.fails THEN now() END
                    FROM (
                        SELECT x.id, coalesce(s.uncertain_policy = 'fail', false) AS fail_policy,
                            (coalesce(s.uncertain_policy = 'fail', false) AND y.attempt_started_at IS NOT NULL)
                                -- A validation's test message is tried once, by the validation: never again.
                                OR y.lease_owner LIKE \(Self.synchronousOwnerPrefix + "%") AS fails
                        FROM expired x JOIN messages y ON y.id = x.id LEFT JOIN output_servers s ON s.id = y.server_id
                    ) e
                    WHERE m.id = e.id
                    RETURNING m.id, m.tenant_id, m.server_id, m.state, m.attempts, cardinality(m.recipients) AS recipients,
                        m.internal
                ), history AS (
                    INSERT INTO message_attempts (message_id, number, started_at, duration_ms, outcome, reply)
                    SELECT id, attempts, now(), 0, 'lease_expired', \(Self.leaseExpiredReason) FROM recovered
                    WHERE attempts > 0
                    ON CONFLICT DO NOTHING
                )
                SELECT id, tenant_id, server_id, state, recipients, internal FROM recovered
                """,
                logger: self.logger
            )
            var count = 0
            for try await (id, tenantID, serverID, state, recipients, isInternal) in rows.decode(
                (UUID, UUID, UUID, String, Int, Bool).self
            ) {
                count += 1
                if state == MessageState.failed.rawValue {
                    try await EventRepository.append(
                        Self.failureEvent(
                            id: id,
                            tenantID: isInternal ? nil : tenantID,
                            serverID: serverID,
                            reason: Self.leaseExpiredReason,
                            recipients: recipients
                        ),
                        on: connection,
                        logger: self.logger
                    )
                }
            }
            return count
        }
    }

    /// Makes every replica skip the server for `duration` (a throttling reply, a used-up
    /// quota). The tenant gets a `server_throttled` event when a pause begins, not for
    /// every reply during one.
    public func throttle(tenantID: UUID, serverID: UUID, serverName: String, for duration: Duration, reason: String)
        async throws
    {
        try await self.client.transaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                "SELECT throttled_until > now() FROM server_throttles WHERE server_id = \(serverID) FOR UPDATE",
                logger: self.logger
            )
            let alreadyPaused = try await rows.decode(Bool.self).first(where: { _ in true }) ?? false
            try await ServerLimits.pause(
                serverID,
                seconds: duration.seconds,
                reason: reason,
                on: connection,
                logger: self.logger
            )
            guard !alreadyPaused else { return }
            try await EventRepository.append(
                NewEvent(
                    tenantID: tenantID,
                    kind: EventKind.serverThrottled,
                    severity: .warning,
                    serverID: serverID,
                    message:
                        "Server \(serverName) asked Mailgate to slow down; its mail waits \(Int(duration.seconds)) s and is then retried: \(reason)",
                    details: ["server": serverName, "pause_seconds": String(Int(duration.seconds)), "reason": reason],
                    actor: "delivery"
                ),
                on: connection,
                logger: self.logger
            )
        }
    }

    /// Drops the bodies of messages finished more than `retention` ago and frees
    /// idempotency keys older than `idempotencyWindow`, a batch at a time, until a batch is
    /// not full or `maximumBatches` ran: up to 300,000 rows a minute, more than a replica delivers
    /// (about 170,000 a minute into a local sink, BENCHMARKS.md), so bodies never pile up.
    public func purge(
        retention: Duration,
        idempotencyWindow: Duration,
        batch: Int = 1000,
        maximumBatches: Int = 300
    ) async throws -> (bodies: Int, keys: Int) {
        let bodies = try await self.client.inBatches(
            of: batch,
            maximumBatches: maximumBatches,
            logger: self.logger,
            """
            UPDATE messages SET body = NULL, purged_at = now()
            WHERE id IN (
                SELECT id FROM messages
                WHERE body IS NOT NULL AND finished_at < now() - make_interval(secs => \(retention.seconds))
                LIMIT \(batch)
            )
            RETURNING 1
            """
        )
        let keys = try await self.client.inBatches(
            of: batch,
            maximumBatches: maximumBatches,
            logger: self.logger,
            """
            UPDATE messages SET idempotency_key = NULL
            WHERE id IN (
                SELECT id FROM messages
                WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(secs => \(idempotencyWindow.seconds))
                LIMIT \(batch)
            )
            RETURNING 1
            """
        )
        return (bodies, keys)
    }

    static let leaseExpiredReason =
        "the replica delivering it stopped before recording the outcome (lease expired); the SMTP server may have received it"

    /// `tenantID` nil for Mailgate's own (internal) mail: an event for operators only.
    static func failureEvent(id: UUID, tenantID: UUID?, serverID: UUID, reason: String, recipients: Int) -> NewEvent {
        NewEvent(
            tenantID: tenantID,
            kind: EventKind.messageFailed,
            severity: .error,
            serverID: serverID,
            message: "Message \(id.uuidString.lowercased()) was not delivered: \(reason)",
            details: ["message_id": id.uuidString.lowercased(), "reason": reason, "recipients": String(recipients)],
            actor: "delivery"
        )
    }
}

/// One result as `jsonb_to_recordset` reads it.
private struct ResultRow: Encodable {
    var id: UUID
    var state: String
    var next_attempt: Double?
    var pending: [String]?
    var reply: String
    var error: String
    var results: [String: RecipientResult]
    var uncertain: Bool
    var delivered: Bool
    var started: Double
    var duration: Int
    var outcome: String
    var stage: String
    var code: Int

    init(_ result: AttemptResult) {
        self.id = result.messageID
        self.reply = result.reply
        self.results = result.recipientResults
        self.uncertain = result.uncertain
        self.delivered =
            result.recipientResults.values.contains { (200..<300).contains($0.code) } || result.outcome == "delivered"
        self.started = result.startedAt.timeIntervalSince1970
        self.duration = result.durationMilliseconds
        self.outcome = result.outcome
        self.stage = result.stage
        self.code = result.replyCode
        self.error = ""
        switch result.decision {
        case .sent:
            self.state = MessageState.sent.rawValue
            self.error = result.note
        case .retry(let at, let recipients):
            self.state = MessageState.queued.rawValue
            self.next_attempt = at.timeIntervalSince1970
            self.pending = recipients
            if result.outcome != "delivered" { self.error = result.reply }
        case .failed(let reason):
            self.state = MessageState.failed.rawValue
            self.error = reason
        }
    }
}

extension DeliveryQueue {
    /// Owners of messages sent synchronously (`insertClaimed`) start with this; such a
    /// message whose lease runs out (the process stopped mid-send) fails, never retried.
    public static let synchronousOwnerPrefix = "validation:"

    /// Stores a message already claimed by `owner` (which starts with
    /// `synchronousOwnerPrefix`) and being sent now: no worker takes it, and `complete`
    /// records its outcome like any other attempt's. Throws `ServerBusy`, storing nothing,
    /// when the server asked to slow down or is at its rate, connection or daily limit:
    /// the message counts against those limits like any other.
    public func insertClaimed(_ message: NewMessage, owner: String, token: UUID, lease: Duration) async throws
        -> ClaimedMessage
    {
        precondition(
            owner.hasPrefix(Self.synchronousOwnerPrefix),
            "synchronous sends are owned by \(Self.synchronousOwnerPrefix)…"
        )
        return try await self.client.transaction(logger: self.logger) { connection in
            let candidate = Candidate(id: message.id, serverID: message.serverID, recipients: message.recipients.count)
            if let busy = try await ServerLimits.refusal(ofImmediate: candidate, on: connection, logger: self.logger) {
                throw busy
            }
            _ = try await connection.query(try MessageInsertBatcher.insertQuery([message]), logger: self.logger)
            let rows = try await connection.query(
                """
                UPDATE messages SET state = 'sending', lease_owner = \(owner), lease_token = \(token),
                    lease_expires_at = now() + make_interval(secs => \(lease.seconds)), claimed_at = now(),
                    attempt_started_at = now(), attempts = 1, updated_at = now()
                WHERE id = \(message.id)
                RETURNING created_at
                """,
                logger: self.logger
            )
            var queuedAt = Date()
            for try await createdAt in rows.decode(Date.self) { queuedAt = createdAt }
            return ClaimedMessage(
                id: message.id,
                tenantID: message.tenantID,
                serverID: message.serverID,
                envelopeFrom: message.envelopeFrom,
                recipients: message.recipients,
                body: message.body,
                requiresSMTPUTF8: message.requiresSMTPUTF8,
                attempt: 1,
                queuedAt: queuedAt,
                partlyDelivered: false
            )
        }
    }
}

extension DeliveryQueue {
    /// Unfinished messages across the cluster by state: `due` (queued, due now),
    /// `scheduled` (queued for later: backoff or `not_before`) and `sending`.
    public func depth() async throws -> [String: Int] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT CASE WHEN state = 'sending' THEN 'sending' WHEN next_attempt_at <= now() THEN 'due' ELSE 'scheduled' END, count(*)
            FROM messages WHERE state IN ('queued', 'sending') GROUP BY 1
            """,
            logger: self.logger
        )
        var depth = ["due": 0, "scheduled": 0, "sending": 0]
        for try await (state, count) in rows.decode((String, Int).self) { depth[state] = count }
        return depth
    }
}

/// A (tenant, server) queue of the `messages` table, in the order claims walk them.
struct QueueKey: Sendable, Equatable {
    var tenantID: UUID
    var serverID: UUID

    /// Before every queue.
    static let first = QueueKey(
        tenantID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
        serverID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    )
}

/// Where a replica's next claim starts its walk over the queues.
final class QueueWalk: Sendable {
    private let next = Mutex(QueueKey.first)

    var start: QueueKey { self.next.withLock { $0 } }

    /// A claim that started at `start` stopped at `stop` (nil: it saw every queue). Concurrent
    /// claims that started at the same place move the cursor once.
    func walked(from start: QueueKey, to stop: QueueKey?) {
        self.next.withLock { next in
            if next == start { next = stop ?? .first }
        }
    }
}
