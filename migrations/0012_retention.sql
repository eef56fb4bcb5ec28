-- Retention: finished messages (with their attempts) and events are deleted once older
-- than their retention, oldest first, in bounded batches; these indexes find them without
-- reading the rows that stay.
CREATE INDEX messages_finished_age ON messages (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX events_age ON events (created_at);
