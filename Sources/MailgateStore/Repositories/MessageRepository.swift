import Foundation
import Logging
import MailgateCore
import PostgresNIO

/// The `messages` table as SendMail, GetMessage and CancelMessage see it; every
/// query is scoped by the caller's tenant id.
public struct MessageRepository: Sendable {
    /// The channel delivery workers listen on for new due messages.
    public static let notificationChannel = "mailgate_messages"

    let client: PostgresClient
    let logger: Logger
    private let batcher: MessageInsertBatcher

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.batcher = MessageInsertBatcher(client: client, logger: logger)
    }

    /// What `enqueue` did.
    public enum EnqueueOutcome: Sendable {
        /// A new row was committed.
        case queued(MessageRecord)
        /// The idempotency key was used before with the same content: the first message.
        case replayed(MessageRecord)
    }

    /// Commits the message, or finds the one stored under the same idempotency key
    /// within `idempotencyWindow` (`alreadyExists` when its content differs).
    ///
    /// Concurrent calls share one insert and one commit (`MessageInsertBatcher`); a
    /// message whose key is taken then goes through the transaction below, which tells
    /// a retry from a conflict and frees keys whose window has passed.
    public func enqueue(_ message: NewMessage, idempotencyWindow: Duration) async throws -> EnqueueOutcome {
        if let record = try await self.batcher.insert(message) {
            return .queued(record)
        }
        guard let key = message.idempotencyKey else {
            throw StoreError(.alreadyExists, "Message \(message.id.uuidString.lowercased()) exists.")
        }
        let windowSeconds = idempotencyWindow.seconds
        return try await self.client.transaction(logger: self.logger) { connection in
            for _ in 0..<3 {
                if let record = try await self.insert(message, on: connection) {
                    return .queued(record)
                }
                let rows = try await connection.query(
                    """
                    SELECT id, content_digest, created_at < now() - make_interval(secs => \(windowSeconds)) AS expired
                    FROM messages WHERE tenant_id = \(message.tenantID) AND idempotency_key = \(key)
                    FOR UPDATE
                    """,
                    logger: self.logger
                )
                guard
                    let (id, digest, expired) = try await rows.decode((UUID, ByteBuffer, Bool).self).first(where: { _ in
                        true
                    })
                else {
                    continue  // The holder was just cleared; insert again.
                }
                if expired {
                    try await connection.query(
                        "UPDATE messages SET idempotency_key = NULL WHERE id = \(id)",
                        logger: self.logger
                    )
                    continue
                }
                guard Array(digest.readableBytesView) == message.contentDigest else {
                    throw StoreError(
                        .alreadyExists,
                        "Idempotency key \(key) was used for a different message (\(id.uuidString.lowercased())); use a new key for new content."
                    )
                }
                guard
                    let record = try await Self.find(
                        tenantID: message.tenantID,
                        id: id,
                        on: connection,
                        logger: self.logger
                    )
                else {
                    continue
                }
                return .replayed(record)
            }
            throw StoreError(.unavailable, "The idempotency key \(key) is contended; retry.")
        }
    }

    /// Wakes delivery workers on every replica (LISTEN/NOTIFY).
    public func notifyWorkers() async throws {
        try await self.client.tracedQuery("SELECT pg_notify(\(Self.notificationChannel), '')", logger: self.logger)
    }

    /// Calls `onNotification` for every `notifyWorkers()` of any replica, on a connection of
    /// its own, until that connection is lost (it throws) or the task is cancelled.
    public func listenForNewMail(_ onNotification: @escaping @Sendable () -> Void) async throws {
        try await self.client.withConnection { connection in
            try await connection.listen(on: Self.notificationChannel) { notifications in
                for try await _ in notifications { onNotification() }
            }
        }
    }

    /// The tenant's message, with its attempts.
    public func find(tenantID: UUID, id: UUID) async throws -> MessageRecord? {
        try await self.client.withConnection { connection in
            try await Self.find(tenantID: tenantID, id: id, on: connection, logger: self.logger)
        }
    }

    /// The tenant's message carrying this RFC 5322 Message-ID header (with its angle
    /// brackets, as composed), the newest if several do.
    public func find(tenantID: UUID, rfc822MessageID: String) async throws -> MessageRecord? {
        let rows = try await self.client.tracedQuery(
            """
            SELECT id FROM messages
            WHERE tenant_id = \(tenantID) AND rfc822_message_id = \(rfc822MessageID) AND NOT internal
            ORDER BY created_at DESC
            LIMIT 1
            """,
            logger: self.logger
        )
        for try await id in rows.decode(UUID.self) { return try await self.find(tenantID: tenantID, id: id) }
        return nil
    }

    /// The tenant's message stored under `idempotencyKey` with the same content digest, if
    /// any: what a retried request replays.
    public func find(tenantID: UUID, idempotencyKey: String, contentDigest: [UInt8]) async throws -> MessageRecord? {
        let rows = try await self.client.tracedQuery(
            """
            SELECT id FROM messages
            WHERE tenant_id = \(tenantID) AND idempotency_key = \(idempotencyKey)
                AND content_digest = \(ByteBuffer(bytes: contentDigest))
            """,
            logger: self.logger
        )
        for try await id in rows.decode(UUID.self) { return try await self.find(tenantID: tenantID, id: id) }
        return nil
    }

    /// Cancels a queued message; a message already cancelled stays so. Anything else is
    /// `invalidState` (being delivered, sent or failed), or `notFound`.
    public func cancel(tenantID: UUID, id: UUID) async throws -> MessageState {
        let rows = try await self.client.tracedQuery(
            """
            WITH cancelled AS (
                UPDATE messages SET state = 'cancelled', finished_at = now(), updated_at = now(),
                    last_error = 'cancelled by the caller'
                WHERE tenant_id = \(tenantID) AND id = \(id) AND state = 'queued' AND NOT internal
                RETURNING state
            )
            SELECT state FROM cancelled
            UNION ALL
            SELECT state FROM messages WHERE tenant_id = \(tenantID) AND id = \(id) AND NOT internal AND NOT EXISTS (SELECT 1 FROM cancelled)
            """,
            logger: self.logger
        )
        guard let text = try await rows.decode(String.self).first(where: { _ in true }),
            let state = MessageState(rawValue: text)
        else {
            throw StoreError(.notFound, "No message \(id.uuidString.lowercased()) in this tenant.")
        }
        switch state {
        case .cancelled:
            return state
        case .queued:
            // Seen as queued by this statement's snapshot, yet not updated: a worker claimed it meanwhile.
            throw StoreError(.invalidState, "The message is being delivered right now and can no longer be cancelled.")
        case .sending:
            throw StoreError(.invalidState, "The message is being delivered right now and can no longer be cancelled.")
        case .sent, .failed:
            throw StoreError(
                .invalidState,
                "The message is already \(state.rawValue); only queued messages can be cancelled."
            )
        }
    }

    /// Inserts the row inside the caller's transaction; nil when its idempotency key is taken.
    private func insert(_ message: NewMessage, on connection: PostgresConnection) async throws -> MessageRecord? {
        let rows = try await connection.query(try MessageInsertBatcher.insertQuery([message]), logger: self.logger)
        return try await MessageInsertBatcher.records(inserted: rows, from: [message])[message.id]
    }

    static func find(tenantID: UUID, id: UUID, on connection: PostgresConnection, logger: Logger) async throws
        -> MessageRecord?
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(tenantID) AND id = \(id) AND NOT internal
            """,
            logger: logger
        )
        guard var record = try await MessageRow.decode(rows).first else { return nil }
        let attempts = try await connection.query(
            """
            SELECT number, started_at, duration_ms, outcome, stage, reply_code, reply
            FROM message_attempts WHERE message_id = \(id) ORDER BY number
            """,
            logger: logger
        )
        for try await (number, startedAt, duration, outcome, stage, code, reply) in attempts.decode(
            (Int, Date, Int, String, String, Int, String).self
        ) {
            record.history.append(
                AttemptRecord(
                    number: number,
                    startedAt: startedAt,
                    durationMilliseconds: duration,
                    outcome: outcome,
                    stage: stage,
                    replyCode: code,
                    reply: reply
                )
            )
        }
        return record
    }
}
