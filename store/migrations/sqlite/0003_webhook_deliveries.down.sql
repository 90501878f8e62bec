DROP TABLE IF EXISTS webhook_outbox;
CREATE TABLE webhook_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    event            VARCHAR(255) NOT NULL,
    data             TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP NULL,
    last_error       TEXT NULL,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX webhook_outbox_next_attempt_at_idx ON webhook_outbox (next_attempt_at);
