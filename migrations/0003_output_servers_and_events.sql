-- Output servers (one tenant's SMTP servers, secrets sealed by the vault) and the
-- tenant's notification panel of events.

CREATE TABLE output_servers (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    host text NOT NULL,
    port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security text NOT NULL CHECK (security IN ('none', 'starttls', 'tls')),
    sender_name text NOT NULL DEFAULT '',
    sender_address text NOT NULL,
    auth_type text NOT NULL CHECK (auth_type IN ('none', 'basic', 'oauth2')),
    username text NOT NULL DEFAULT '',
    allow_plaintext_auth boolean NOT NULL DEFAULT false,
    oauth_provider text CHECK (oauth_provider IN ('microsoft', 'google', 'generic')),
    oauth_flow text CHECK (oauth_flow IN ('authorization_code', 'client_credentials')),
    client_id text NOT NULL DEFAULT '',
    directory_id text NOT NULL DEFAULT '',
    authorization_url text NOT NULL DEFAULT '',
    token_url text NOT NULL DEFAULT '',
    scopes text[] NOT NULL DEFAULT '{}',
    -- Sealed secrets: "v<master key id>:<base64 of nonce | ciphertext | tag>".
    password_sealed text,
    password_set_at timestamptz,
    client_secret_sealed text,
    client_secret_set_at timestamptz,
    client_secret_expires_at timestamptz,
    client_secret_expiry_source text CHECK (client_secret_expiry_source IN ('operator', 'estimated', 'provider')),
    refresh_token_sealed text,
    refresh_token_set_at timestamptz,
    access_token_sealed text,
    access_token_set_at timestamptz,
    access_token_expires_at timestamptz,
    rate_limit_per_minute integer NOT NULL DEFAULT 0 CHECK (rate_limit_per_minute >= 0),
    is_default boolean NOT NULL DEFAULT false,
    version bigint NOT NULL DEFAULT 1,
    last_validation text NOT NULL DEFAULT '',
    last_validated_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

-- At most one default server per tenant.
CREATE UNIQUE INDEX output_servers_one_default ON output_servers (tenant_id) WHERE is_default;

CREATE TABLE events (
    id bigserial PRIMARY KEY,
    -- NULL for platform events (operator keys).
    tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    kind text NOT NULL,
    severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
    -- No foreign key: events outlive the server they are about.
    server_id uuid,
    message text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    actor text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_tenant_newest ON events (tenant_id, id DESC);
