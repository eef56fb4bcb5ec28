-- Webhooks: a tenant's subscriptions to its events, an outbox of deliveries filled in the
-- transaction that stores each event, and a log of every attempt to post one.

CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    url text NOT NULL,
    -- Event kinds delivered; empty: every kind.
    kinds text[] NOT NULL DEFAULT '{}',
    min_severity smallint NOT NULL DEFAULT 1 CHECK (min_severity BETWEEN 1 AND 4),
    enabled boolean NOT NULL DEFAULT true,
    -- The HMAC signing secret, sealed by the vault like the servers' secrets.
    secret_sealed text NOT NULL,
    secret_created_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Event retention takes the deliveries of a purged event with it.
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text NOT NULL DEFAULT '',
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Claims look only at what is waiting or leased.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
-- Deleting a tenant deletes its deliveries through this key.
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id);

CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL,
    -- The HTTP status; 0 when no response came.
    status integer NOT NULL DEFAULT 0,
    response_excerpt text NOT NULL DEFAULT '',
    error text NOT NULL DEFAULT ''
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt DESC);
