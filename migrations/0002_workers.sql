-- Replica heartbeats: which processes are running and delivering mail right now.

CREATE TABLE workers (
    id text PRIMARY KEY,
    hostname text NOT NULL,
    version text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
