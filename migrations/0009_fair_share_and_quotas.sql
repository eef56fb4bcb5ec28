-- Fair share of delivery across tenants (and across a tenant's servers), and per-tenant
-- quotas on what a tenant may queue.

-- One queue per (tenant, server): the claim walks the queues that have queued mail and
-- takes from each in turn, so one tenant's backlog never makes another's mail wait
-- behind it. The same index answers "how much does this tenant have queued" (body_size
-- included) and replaces the two it subsumes, so an insert maintains no more indexes.
CREATE INDEX messages_queues ON messages (tenant_id, server_id, next_attempt_at) INCLUDE (body_size)
    WHERE state = 'queued';
DROP INDEX messages_due;
DROP INDEX messages_tenant_queued;

ALTER TABLE tenants
    -- A tenant's share of delivery relative to the others (2 = twice the share of 1).
    ADD COLUMN delivery_weight integer NOT NULL DEFAULT 1 CHECK (delivery_weight BETWEEN 1 AND 100),
    -- Quotas; NULL follows the replica's default setting, 0 means unlimited.
    ADD COLUMN quota_queued_messages bigint CHECK (quota_queued_messages >= 0),
    ADD COLUMN quota_queued_bytes bigint CHECK (quota_queued_bytes >= 0),
    ADD COLUMN quota_sends_per_minute integer CHECK (quota_sends_per_minute >= 0),
    ADD COLUMN quota_schedule_ahead_seconds integer CHECK (quota_schedule_ahead_seconds >= 0),
    ADD COLUMN quota_validations_per_minute integer CHECK (quota_validations_per_minute >= 0),
    ADD COLUMN quota_token_refreshes_per_minute integer CHECK (quota_token_refreshes_per_minute >= 0);

-- Calls per tenant, kind (send_mail, validate_server, refresh_token) and minute, shared by
-- every replica: each replica takes a slice of the minute's allowance at a time and hands
-- it out locally.
CREATE TABLE tenant_rate_windows (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind text NOT NULL,
    window_start timestamptz NOT NULL,
    granted integer NOT NULL,
    PRIMARY KEY (tenant_id, kind, window_start)
);
