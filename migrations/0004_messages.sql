-- The durable send queue, each delivery attempt, and the per-server limits that
-- delivery workers on every replica respect together.

ALTER TABLE output_servers
    -- Concurrent SMTP connections to this server across replicas; 0 = unlimited.
    ADD COLUMN max_connections integer NOT NULL DEFAULT 0 CHECK (max_connections >= 0),
    -- Recipients per rolling 24 hours across replicas; 0 = unlimited.
    ADD COLUMN daily_recipient_limit integer NOT NULL DEFAULT 0 CHECK (daily_recipient_limit >= 0),
    -- What to do when the server may have accepted a message but never said so.
    ADD COLUMN uncertain_policy text NOT NULL DEFAULT 'retry' CHECK (uncertain_policy IN ('retry', 'fail'));

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- No foreign key: a message's history outlives its server; a queued message
    -- whose server was deleted fails with that reason.
    server_id uuid NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    -- Unique per tenant while the idempotency window lasts; cleared after it.
    idempotency_key text,
    -- SHA-256 of the request's content, to tell a retry from a different message.
    content_digest bytea NOT NULL,
    rfc822_message_id text NOT NULL,
    subject text NOT NULL,
    envelope_from text NOT NULL,
    recipients text[] NOT NULL,
    -- Recipients the next attempt sends to: all at first, then those deferred with 4xx.
    pending_recipients text[] NOT NULL,
    -- The composed RFC 5322 bytes; NULL once purged after the retention period.
    body bytea,
    body_size integer NOT NULL,
    requires_smtputf8 boolean NOT NULL DEFAULT false,
    tags jsonb NOT NULL DEFAULT '{}',
    attempts integer NOT NULL DEFAULT 0,
    not_before timestamptz,
    next_attempt_at timestamptz NOT NULL,
    -- The replica holding the claim (for people) and the claim's own token (for
    -- writes: a result counts only while its claim is still the current one).
    lease_owner text,
    lease_token uuid,
    -- Set just before the SMTP transaction of a server whose uncertain policy is
    -- `fail`: after a crash, only such messages may have reached the server.
    attempt_started_at timestamptz,
    lease_expires_at timestamptz,
    claimed_at timestamptz,
    last_reply text NOT NULL DEFAULT '',
    last_error text NOT NULL DEFAULT '',
    -- Per recipient: {"address": {"code": 250, "reply": "..."}}.
    recipient_results jsonb NOT NULL DEFAULT '{}',
    -- Some attempt ended after the final "." without a reply: the server may have it.
    uncertain boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    finished_at timestamptz,
    purged_at timestamptz
);

-- Bodies are stored out of line uncompressed: compressing every message costs the
-- database more CPU than the disk it saves (attachments are already base64 or zipped).
-- Kept out of line (TOAST) on purpose: a claim and a result each write a new row
-- version, which then copies a pointer instead of the whole body.
ALTER TABLE messages ALTER COLUMN body SET STORAGE EXTERNAL;

-- Every index is partial where it can be, so that an insert (the SendMail hot path)
-- maintains as few as possible.
CREATE UNIQUE INDEX messages_idempotency ON messages (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_leases ON messages (lease_expires_at) WHERE state = 'sending';
-- Per-server accounting for rate, connection and daily limits.
CREATE INDEX messages_server_claims ON messages (server_id, claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX messages_finished ON messages (finished_at) WHERE body IS NOT NULL AND finished_at IS NOT NULL;
-- Keys older than the idempotency window are released by the janitor.
CREATE INDEX messages_idempotency_age ON messages (created_at) WHERE idempotency_key IS NOT NULL;

CREATE TABLE message_attempts (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    number integer NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL,
    -- delivered | transient_failure | permanent_failure | uncertain | deferred | lease_expired
    outcome text NOT NULL,
    stage text NOT NULL DEFAULT '',
    reply_code integer NOT NULL DEFAULT 0,
    reply text NOT NULL DEFAULT '',
    worker text NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, number)
);

-- A server that asked us to slow down (or reached a limit) is skipped by every
-- replica's claims until this time.
CREATE TABLE server_throttles (
    server_id uuid PRIMARY KEY,
    throttled_until timestamptz NOT NULL,
    reason text NOT NULL DEFAULT ''
);
