-- Console sign-ins: an API key checked once and exchanged for a session. Only the SHA-256 of
-- the session id (the cookie's value) is stored; the key's revocation ends its sessions
-- (the lookup joins api_keys, and revoking deletes them).

CREATE TABLE console_sessions (
    id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    key_id text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    -- Every form of the session carries this; a form without it is refused.
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- The absolute end, whatever the activity.
    expires_at timestamptz NOT NULL,
    peer text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT ''
);

CREATE INDEX console_sessions_key ON console_sessions (key_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
