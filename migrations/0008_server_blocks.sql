-- A server blocked by a fault its operator can fix (TLS, credentials, DNS, the sender's
-- rights): its mail waits instead of failing. Every replica skips the server until
-- retry_at (a server_throttles row says so to the claim), then one attempt probes it;
-- a delivery, a changed server, a stored token or a passing validation lifts the block.
CREATE TABLE server_blocks (
    server_id uuid PRIMARY KEY REFERENCES output_servers (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL,
    -- The cause, from the catalogue ValidateServer uses (e.g. CERTIFICATE_UNTRUSTED).
    reason text NOT NULL,
    -- The server's words, or the connection's.
    detail text NOT NULL DEFAULT '',
    remedy text NOT NULL DEFAULT '',
    blocked_since timestamptz NOT NULL DEFAULT now(),
    -- Failed attempts in this episode: the wait before the next probe doubles with them.
    failures integer NOT NULL DEFAULT 1,
    retry_at timestamptz NOT NULL
);

-- Claims skip the mail of disabled tenants: it is held, neither sent nor failed.
CREATE INDEX messages_tenant_queued ON messages (tenant_id) WHERE state = 'queued';
