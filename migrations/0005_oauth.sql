-- OAuth: the scopes of the cached access token, the outcome of the last token request
-- of each server (mail waits while a token cannot be had), and pending consents.

ALTER TABLE output_servers
    ADD COLUMN access_token_scopes text[] NOT NULL DEFAULT '{}',
    -- TokenFailureReason of the last failed token request; '' once one succeeds.
    ADD COLUMN token_failure_reason text NOT NULL DEFAULT '',
    ADD COLUMN token_failure_detail text NOT NULL DEFAULT '',
    -- Consecutive failures, for the backoff of transient ones.
    ADD COLUMN token_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN token_failed_at timestamptz,
    -- No token request for delivery before this (RefreshToken and new credentials go ahead).
    ADD COLUMN token_retry_at timestamptz;

-- A consent in progress ("Get refresh token"): single use, short-lived, bound to the
-- tenant, the server and the key that began it.
CREATE TABLE oauth_authorizations (
    -- SHA-256 of the state, so a leaked row cannot complete a consent.
    state_digest bytea PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    server_id uuid NOT NULL REFERENCES output_servers (id) ON DELETE CASCADE,
    key_id text NOT NULL,
    -- The PKCE verifier, sealed by the vault.
    verifier_sealed text NOT NULL,
    redirect_uri text NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Set when the state is taken: kept a day so a reused link gets a clear answer.
    used_at timestamptz,
    -- A reuse raises one event, however often the link is replayed.
    reuse_reported boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX oauth_authorizations_expiry ON oauth_authorizations (expires_at);
