-- ValidateServer: the last result as a verdict besides its summary, and how many delivery
-- workers each replica runs (a replica with none still heartbeats).

ALTER TABLE output_servers ADD COLUMN last_validation_ok boolean;

ALTER TABLE workers ADD COLUMN delivery_workers integer NOT NULL DEFAULT 0;
