import Foundation
import MailgateCore
import PostgresNIO

/// Reading `messages` rows into `MessageRecord`s (history is read separately).
enum MessageRow {
    static let columns = """
        id, tenant_id, server_id, state, rfc822_message_id, subject, recipients, attempts, tags::text,
        created_at, next_attempt_at, sent_at, finished_at, last_reply, last_error, recipient_results::text,
        uncertain, body IS NULL AS purged
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [MessageRecord] {
        var records: [MessageRecord] = []
        for try await row in rows {
            records.append(try self.record(row.makeRandomAccess()))
        }
        return records
    }

    static func record(_ row: PostgresRandomAccessRow) throws -> MessageRecord {
        func json<Value: Decodable>(_ name: String, as type: Value.Type) throws -> Value {
            try JSONDecoder().decode(type, from: Data(try row[name].decode(String.self).utf8))
        }
        let state = MessageState(rawValue: try row["state"].decode(String.self)) ?? .queued
        return MessageRecord(
            id: try row["id"].decode(UUID.self),
            tenantID: try row["tenant_id"].decode(UUID.self),
            serverID: try row["server_id"].decode(UUID.self),
            state: state,
            rfc822MessageID: try row["rfc822_message_id"].decode(String.self),
            subject: try row["subject"].decode(String.self),
            recipients: try row["recipients"].decode([String].self),
            attempts: try row["attempts"].decode(Int.self),
            tags: try json("tags", as: [String: String].self),
            createdAt: try row["created_at"].decode(Date.self),
            nextAttemptAt: state == .queued ? try row["next_attempt_at"].decode(Date.self) : nil,
            sentAt: try row["sent_at"].decode(Date?.self),
            finishedAt: try row["finished_at"].decode(Date?.self),
            lastReply: try row["last_reply"].decode(String.self),
            lastError: try row["last_error"].decode(String.self),
            recipientResults: try json("recipient_results", as: [String: RecipientResult].self),
            uncertain: try row["uncertain"].decode(Bool.self),
            bodyPurged: try row["purged"].decode(Bool.self),
            history: []
        )
    }
}
