-- ValidateServer: the last result as a verdict besides its summary, and how many delivery
-- workers each replica runs (a replica with none still heartbeats).

ALTER TABLE output_servers ADD COLUMN last_validation_ok boolean;

-- NULL: a replica of an older version, which says nothing (it is taken to deliver).
ALTER TABLE workers ADD COLUMN delivery_workers integer CHECK (delivery_workers >= 0);
