-- Opportunistic TLS for relays without authentication: STARTTLS when offered, plaintext
-- when not (PutServer refuses it with any authentication).
ALTER TABLE output_servers DROP CONSTRAINT output_servers_security_check;
ALTER TABLE output_servers ADD CONSTRAINT output_servers_security_check
    CHECK (security IN ('none', 'starttls', 'tls', 'opportunistic'));
