import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// A due message a claim considers.
struct Candidate: Sendable {
    var id: UUID
    var serverID: UUID
    var recipients: Int
}

/// Per-server rate, connection and daily recipient limits, counted over what every
/// replica has claimed. Runs inside the claim's transaction.
enum ServerLimits {
    /// The candidates that fit their servers' limits now, in order. A server that is
    /// full gets a `server_throttles` row so no replica looks at its mail until it frees up.
    static func admit(
        _ offered: [Candidate],
        probeWindow: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (ids: [UUID], probes: Set<UUID>) {
        // One round trip says which servers have limits and which are blocked: most have
        // neither, and a claim then costs no more than before blocks existed.
        let serverIDs = Array(Set(offered.map(\.serverID)))
        var limited: [UUID: Limits] = [:]
        var blocked: [UUID] = []
        let rows = try await connection.query(
            """
            SELECT o.id, o.rate_limit_per_minute, o.max_connections, o.daily_recipient_limit, b.server_id IS NOT NULL
            FROM output_servers o LEFT JOIN server_blocks b ON b.server_id = o.id
            WHERE o.id = ANY(\(serverIDs)) AND (o.rate_limit_per_minute > 0 OR o.max_connections > 0
                OR o.daily_recipient_limit > 0 OR b.server_id IS NOT NULL)
            ORDER BY o.id
            """,
            logger: logger
        )
        for try await (id, rate, connections, daily, isBlocked) in rows.decode((UUID, Int, Int, Int, Bool).self) {
            if rate > 0 || connections > 0 || daily > 0 { limited[id] = Limits(rate, connections, daily) }
            if isBlocked { blocked.append(id) }
        }
        guard !limited.isEmpty || !blocked.isEmpty else { return (offered.map(\.id), []) }
        let (candidates, probes) = try await Self.probeBlocked(
            offered,
            blocked: blocked,
            window: probeWindow,
            on: connection,
            logger: logger
        )
        let admitted = try await Self.admitWithinLimits(candidates, limited: limited, on: connection, logger: logger)
        return (admitted, probes)
    }

    /// Why a message sent at once (a validation's test message) must not go now: the server
    /// asked every replica to slow down, or is at its rate, connection or daily recipient
    /// limit; nil when it may. A block does not stop it: validating is how a fix is shown.
    /// Counted like a claim, so the message then counts against the limits too.
    static func refusal(
        ofImmediate candidate: Candidate,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> ServerBusy? {
        let paused = try await connection.query(
            """
            SELECT reason, throttled_until FROM server_throttles
            WHERE server_id = \(candidate.serverID) AND throttled_until > now() AND reason NOT LIKE 'blocked: %'
            """,
            logger: logger
        ).decode((String, Date).self).all()
        if let (reason, until) = paused.first { return ServerBusy(reason: reason, until: until) }
        let limits = try await connection.query(
            """
            SELECT rate_limit_per_minute, max_connections, daily_recipient_limit FROM output_servers
            WHERE id = \(candidate.serverID)
                AND (rate_limit_per_minute > 0 OR max_connections > 0 OR daily_recipient_limit > 0)
            """,
            logger: logger
        ).decode((Int, Int, Int).self).all()
        guard let (rate, connections, daily) = limits.first else { return nil }
        let admitted = try await Self.admitWithinLimits(
            [candidate],
            limited: [candidate.serverID: Limits(rate, connections, daily)],
            on: connection,
            logger: logger
        )
        guard admitted.isEmpty else { return nil }
        // The limit that refused it paused the server: say which, and until when.
        let pause = try await connection.query(
            "SELECT reason, throttled_until FROM server_throttles WHERE server_id = \(candidate.serverID)",
            logger: logger
        ).decode((String, Date).self).all()
        return ServerBusy(reason: pause.first?.0 ?? "a sending limit reached", until: pause.first?.1 ?? Date())
    }

    /// A server's rate (messages a minute), connection and daily recipient limits; 0 = none.
    private typealias Limits = (rate: Int, connections: Int, daily: Int)

    /// A blocked server whose wait is over gets one probe: one message, and no other until
    /// the probe's result (or `window`, should its replica die). The row lock on the block
    /// makes that hold across replicas: a second claim finds the wait renewed.
    private static func probeBlocked(
        _ candidates: [Candidate],
        blocked: [UUID],
        window: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (candidates: [Candidate], probes: Set<UUID>) {
        guard !blocked.isEmpty else { return (candidates, []) }
        var probes = Set<UUID>()
        var refused = Set<UUID>()
        for serverID in blocked {
            let won = try await connection.query(
                """
                UPDATE server_blocks SET retry_at = now() + make_interval(secs => \(window.seconds))
                WHERE server_id = \(serverID) AND retry_at <= now() RETURNING retry_at
                """,
                logger: logger
            ).decode(Date.self).all()
            let ofServer = candidates.filter { $0.serverID == serverID }
            guard !won.isEmpty, !ofServer.isEmpty else {
                refused.formUnion(ofServer.map(\.id))
                continue
            }
            probes.insert(serverID)
            refused.formUnion(ofServer.dropFirst().map(\.id))
            try await Self.pause(
                serverID,
                seconds: window.seconds,
                reason: "blocked: probing",
                on: connection,
                logger: logger
            )
        }
        return (candidates.filter { !refused.contains($0.id) }, probes)
    }

    private static func admitWithinLimits(
        _ candidates: [Candidate],
        limited: [UUID: Limits],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [UUID] {
        guard !limited.isEmpty else { return candidates.map(\.id) }

        var refused = Set<UUID>()
        // Sorted, so two replicas take the server locks in the same order and never deadlock.
        for serverID in limited.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            let limits = limited[serverID]!
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey(serverID)))", logger: logger)
            let usage = try await connection.query(
                """
                SELECT
                    count(*) FILTER (WHERE state = 'sending' AND lease_expires_at > now()),
                    count(*) FILTER (WHERE claimed_at > now() - interval '1 minute'),
                    coalesce(sum(cardinality(pending_recipients)), 0)::int8,
                    extract(epoch FROM coalesce(min(claimed_at) FILTER (WHERE claimed_at > now() - interval '1 minute'), now())
                        + interval '1 minute' - now())::float8,
                    extract(epoch FROM coalesce(min(claimed_at), now()) + interval '1 day' - now())::float8
                FROM messages WHERE server_id = \(serverID) AND claimed_at > now() - interval '1 day'
                """,
                logger: logger
            )
            guard
                let (sending, lastMinute, lastDay, minuteFreesIn, dayFreesIn) = try await usage.decode(
                    (Int, Int, Int, Double, Double).self
                )
                .first(where: { _ in true })
            else { continue }

            var admitted = 0
            var recipients = lastDay
            var pause: (seconds: Double, reason: String)?
            for candidate in candidates where candidate.serverID == serverID {
                if limits.rate > 0, lastMinute + admitted >= limits.rate {
                    pause = (minuteFreesIn, "rate limit of \(limits.rate) messages a minute reached")
                } else if limits.connections > 0, sending + admitted >= limits.connections {
                    pause = (1, "all \(limits.connections) connections busy")
                } else if limits.daily > 0, recipients + candidate.recipients > limits.daily,
                    recipients > 0 || admitted > 0
                {
                    // A message bigger than the whole daily limit still goes out on an otherwise idle
                    // day rather than blocking the server's queue forever.
                    pause = (dayFreesIn, "daily limit of \(limits.daily) recipients reached")
                }
                if pause != nil {
                    refused.insert(candidate.id)
                    continue
                }
                admitted += 1
                recipients += candidate.recipients
            }
            if let pause {
                try await Self.pause(
                    serverID,
                    seconds: max(pause.seconds, 0.2),
                    reason: pause.reason,
                    on: connection,
                    logger: logger
                )
            }
        }
        return candidates.map(\.id).filter { !refused.contains($0) }
    }

    /// Makes every replica skip the server's mail for `seconds`; a longer pause already
    /// in place is kept.
    static func pause(
        _ serverID: UUID,
        seconds: Double,
        reason: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO server_throttles (server_id, throttled_until, reason)
            VALUES (\(serverID), now() + make_interval(secs => \(seconds)), \(reason))
            ON CONFLICT (server_id) DO UPDATE SET
                throttled_until = greatest(server_throttles.throttled_until, EXCLUDED.throttled_until),
                reason = EXCLUDED.reason
            """,
            logger: logger
        )
    }

    /// The advisory lock key of a server's claims.
    static func lockKey(_ serverID: UUID) -> Int64 {
        // The first eight bytes of a random UUID are as good a key as any hash of it.
        withUnsafeBytes(of: serverID.uuid) { $0.loadUnaligned(as: Int64.self) }
    }
}

/// A message that may not be sent now: the server asked to slow down, or is at a limit.
public struct ServerBusy: Error, Sendable, Hashable {
    /// The server's words or the limit reached ("rate limit of 10 messages a minute reached").
    public var reason: String
    /// Until when.
    public var until: Date
}
