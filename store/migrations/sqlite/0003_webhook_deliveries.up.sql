-- Ours: the webhook outbox becomes one row per (event, hook). The emitting
-- transaction fans each event out to the hooks that subscribe to it, so a
-- hook that keeps failing is retried alone and never makes the hooks that
-- succeeded receive the event twice. The row id is the Idempotency-Key.
-- Nothing wrote the old outbox, so it is replaced, not converted.
DROP TABLE IF EXISTS webhook_outbox;
CREATE TABLE webhook_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    event            VARCHAR(255) NOT NULL,
    data             TEXT NOT NULL,
    webhook_id       TEXT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    callback         TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP NULL,
    last_error       TEXT NULL,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX webhook_outbox_next_attempt_at_idx ON webhook_outbox (next_attempt_at, id);
CREATE INDEX webhook_outbox_webhook_id_idx ON webhook_outbox (webhook_id);
