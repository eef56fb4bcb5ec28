-- Read state of the notification panel: who marked an event read, and when. NULL read_at
-- = unread. The partial index keeps counting a tenant's unread events cheap (it holds
-- only the unread rows, which marking read removes from it).
ALTER TABLE events ADD COLUMN read_at timestamptz;
ALTER TABLE events ADD COLUMN read_by text;
CREATE INDEX IF NOT EXISTS events_tenant_unread ON events (tenant_id, id DESC) WHERE read_at IS NULL;

-- GetMessage by the RFC 5322 Message-ID header a message carries, within its tenant.
CREATE INDEX IF NOT EXISTS messages_tenant_rfc822 ON messages (tenant_id, rfc822_message_id);
