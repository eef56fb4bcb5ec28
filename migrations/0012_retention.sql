-- Retention: finished messages (with their attempts) and events are deleted once older
-- than their retention, oldest first, in bounded batches; these indexes find them without
-- reading the rows that stay. On a large installation, create them beforehand with
-- CREATE INDEX CONCURRENTLY (same names): building them here blocks writes to the tables.
CREATE INDEX IF NOT EXISTS messages_finished_age ON messages (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_age ON events (created_at);
