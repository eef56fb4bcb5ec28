import Foundation
import Logging
import PostgresNIO
import Tracing
import Synchronization

/// Commits concurrent SendMail inserts together: one multi-row `INSERT` and one
/// commit (one WAL flush) for every message that arrived while the previous batch was
/// being written. A caller is answered only after its batch has committed, so
/// "answered OK" still means "durably stored". With little load a batch is one row
/// and nothing waits.
final class MessageInsertBatcher: Sendable {
    private struct Pending {
        var message: NewMessage
        var continuation: CheckedContinuation<MessageRecord?, any Error>
        /// The caller's context (its call's span), linked from the batch's span.
        var context: ServiceContext?
    }

    private struct State {
        var pending: [Pending] = []
        var flushing = 0
    }

    private let client: PostgresClient
    private let logger: Logger
    private let maximumBatch: Int
    /// Bodies in one batch stay under this (a larger message goes alone), far from
    /// PostgreSQL's 1 GiB message limit and kind to memory.
    private let maximumBatchBytes: Int
    private let maximumConcurrentBatches: Int
    private let state = Mutex(State())

    init(
        client: PostgresClient,
        logger: Logger,
        maximumBatch: Int = 200,
        maximumBatchBytes: Int = 8 << 20,
        maximumConcurrentBatches: Int = 4
    ) {
        self.client = client
        self.logger = logger
        self.maximumBatch = maximumBatch
        self.maximumBatchBytes = maximumBatchBytes
        self.maximumConcurrentBatches = maximumConcurrentBatches
    }

    /// Inserts the message; nil when its idempotency key is already taken.
    func insert(_ message: NewMessage) async throws -> MessageRecord? {
        try await withCheckedThrowingContinuation { continuation in
            let startsFlush = self.state.withLock { state -> Bool in
                state.pending.append(
                    Pending(message: message, continuation: continuation, context: ServiceContext.current)
                )
                guard state.flushing < self.maximumConcurrentBatches else { return false }
                state.flushing += 1
                return true
            }
            if startsFlush {
                // The flush writes other callers' messages too: it is no child of this call's span.
                Task { await ServiceContext.withValue(.topLevel) { await self.flush() } }
            }
        }
    }

    private func flush() async {
        while true {
            let batch = self.state.withLock { state -> [Pending] in
                guard !state.pending.isEmpty else {
                    state.flushing -= 1
                    return []
                }
                var count = 0
                var bytes = 0
                for pending in state.pending.prefix(self.maximumBatch) {
                    if count > 0 && bytes + pending.message.body.count > self.maximumBatchBytes { break }
                    count += 1
                    bytes += pending.message.body.count
                }
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            // A trace of its own, linked to each caller's call span: it serves them all.
            await withSpan("messages.insert_batch", ofKind: .internal) { span in
                span.attributes["messages.count"] = batch.count
                for case let context? in batch.map(\.context) where !context.isEmpty {
                    span.addLink(SpanLink(context: context, attributes: [:]))
                }
                await self.commit(batch)
            }
        }
    }

    /// Writes a batch; when it fails as a whole, each message is tried on its own, so
    /// one bad row (say, of a tenant being deleted) fails only its own caller. A commit
    /// whose outcome was lost (the connection broke at COMMIT) may have stored the rows:
    /// a message found stored on its retry (its fresh id already taken) is answered as
    /// stored, as an idempotent replay would be, never as an error.
    private func commit(_ batch: [Pending]) async {
        do {
            let records = try await self.write(batch.map(\.message))
            for pending in batch {
                pending.continuation.resume(returning: records[pending.message.id])
            }
        } catch {
            for pending in batch {
                do {
                    let records = try await self.write([pending.message])
                    pending.continuation.resume(returning: records[pending.message.id])
                } catch let retryError where retryError.isPrimaryKeyViolation {
                    do {
                        let stored = try await self.stored(pending.message)
                        pending.continuation.resume(returning: stored[pending.message.id])
                    } catch {
                        pending.continuation.resume(throwing: error)
                    }
                } catch {
                    pending.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The record of `message` as the lost commit stored it.
    private func stored(_ message: NewMessage) async throws -> [UUID: MessageRecord] {
        let rows = try await self.client.tracedQuery(
            """
            SELECT id, created_at, next_attempt_at FROM messages
            WHERE id = \(message.id) AND tenant_id = \(message.tenantID)
            """,
            logger: self.logger
        )
        return try await Self.records(inserted: rows, from: [message])
    }

    private func write(_ messages: [NewMessage]) async throws -> [UUID: MessageRecord] {
        let rows = try await self.client.tracedQuery(try Self.insertQuery(messages), logger: self.logger)
        return try await Self.records(inserted: rows, from: messages)
    }

    /// One `INSERT` of `messages` that skips rows whose idempotency key is taken and
    /// returns the inserted ids and timestamps (decode with `records(inserted:from:)`).
    static func insertQuery(_ unordered: [NewMessage]) throws -> PostgresQuery {
        // Keyed rows in one order everywhere, so two batches never wait on each other's
        // keys in opposite orders (a deadlock).
        let messages = unordered.sorted { lhs, rhs in
            (lhs.tenantID.uuidString, lhs.idempotencyKey ?? "") < (rhs.tenantID.uuidString, rhs.idempotencyKey ?? "")
        }
        var sql = """
            INSERT INTO messages (
                id, tenant_id, server_id, state, idempotency_key, content_digest, rfc822_message_id, subject,
                envelope_from, recipients, pending_recipients, body, body_size, requires_smtputf8, tags,
                not_before, next_attempt_at, internal
            ) VALUES
            """
        var bindings = PostgresBindings(capacity: messages.count * 16)
        for (index, message) in messages.enumerated() {
            let base = index * 16
            func parameter(_ offset: Int) -> String { "$\(base + offset)" }
            sql += index == 0 ? "\n" : ",\n"
            sql +=
                "(\(parameter(1)), \(parameter(2)), \(parameter(3)), 'queued', \(parameter(4)), \(parameter(5)), \(parameter(6)), "
            sql +=
                "\(parameter(7)), \(parameter(8)), \(parameter(9)), \(parameter(10)), \(parameter(11)), \(parameter(12)), "
            sql +=
                "\(parameter(13)), \(parameter(14))::jsonb, \(parameter(15)), greatest(now(), \(parameter(15))), \(parameter(16)))"
            bindings.append(message.id)
            bindings.append(message.tenantID)
            bindings.append(message.serverID)
            bindings.append(message.idempotencyKey)
            bindings.append(ByteBuffer(bytes: message.contentDigest))
            bindings.append(message.rfc822MessageID)
            bindings.append(message.subject)
            bindings.append(message.envelopeFrom)
            bindings.append(message.recipients)
            bindings.append(message.recipients)
            bindings.append(ByteBuffer(bytes: message.body))
            bindings.append(message.body.count)
            bindings.append(message.requiresSMTPUTF8)
            bindings.append(String(decoding: try JSONEncoder().encode(message.tags), as: UTF8.self))
            bindings.append(message.notBefore)
            bindings.append(message.isInternal)
        }
        sql += """

            ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id, created_at, next_attempt_at
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// The records of the rows `insertQuery` inserted, by id; a message missing here was
    /// skipped because its idempotency key is taken.
    static func records(inserted rows: PostgresRowSequence, from messages: [NewMessage]) async throws -> [UUID:
        MessageRecord]
    {
        let byID = Dictionary(uniqueKeysWithValues: messages.map { ($0.id, $0) })
        var records: [UUID: MessageRecord] = [:]
        // Only what the row was given and its timestamps: decoding whole rows back costs more than the insert.
        for try await (id, createdAt, nextAttemptAt) in rows.decode((UUID, Date, Date).self) {
            guard let message = byID[id] else { continue }
            records[id] = MessageRecord(
                id: id,
                tenantID: message.tenantID,
                serverID: message.serverID,
                state: .queued,
                rfc822MessageID: message.rfc822MessageID,
                subject: message.subject,
                recipients: message.recipients,
                attempts: 0,
                tags: message.tags,
                createdAt: createdAt,
                nextAttemptAt: nextAttemptAt,
                sentAt: nil,
                finishedAt: nil,
                lastReply: "",
                lastError: "",
                recipientResults: [:],
                uncertain: false,
                bodyPurged: false,
                history: []
            )
        }
        return records
    }
}
