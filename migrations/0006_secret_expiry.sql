-- Client-secret expiry: warnings sent per secret and threshold, per-tenant thresholds,
-- and optional discovery of the expiry date from Microsoft Graph.

ALTER TABLE tenants
    -- Days before expiry to warn at; NULL = the service's setting (default 60,30,14,7,3,1).
    ADD COLUMN expiry_warning_days integer[];

ALTER TABLE output_servers
    -- Read the secret's end date from the app registration (Graph, Application.Read.All).
    ADD COLUMN discover_secret_expiry boolean NOT NULL DEFAULT false,
    ADD COLUMN secret_discovery_checked_at timestamptz,
    -- The last discovery problem reported (raised as an event once per problem and secret).
    ADD COLUMN secret_discovery_problem text NOT NULL DEFAULT '';

-- One row per secret (its set-at time: a new secret starts afresh) and threshold (days;
-- 0 = expired). The primary key makes each warning happen once, however many replicas scan.
CREATE TABLE secret_expiry_warnings (
    server_id uuid NOT NULL REFERENCES output_servers (id) ON DELETE CASCADE,
    secret_set_at timestamptz NOT NULL,
    threshold_days integer NOT NULL CHECK (threshold_days >= 0),
    -- false: the threshold passed while no replica ran; only the most urgent is sent.
    sent boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, secret_set_at, threshold_days)
);
