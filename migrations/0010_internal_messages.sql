-- Mail Mailgate sends for itself through another tenant's server (expiry warnings through
-- MAILGATE_EXPIRY_SYSTEM_SERVER): delivered like that tenant's mail, but none of that
-- tenant's keys may read it (it names other tenants' alert contacts and servers), and its
-- events belong to no tenant.
ALTER TABLE messages ADD COLUMN internal boolean NOT NULL DEFAULT false;
