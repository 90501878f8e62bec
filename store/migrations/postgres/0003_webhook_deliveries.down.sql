DROP TABLE IF EXISTS webhook_outbox;
CREATE TABLE webhook_outbox (
    id               uuid PRIMARY KEY NOT NULL,
    event            varchar(255) NOT NULL,
    data             text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    locked_until     timestamptz NULL,
    last_error       text NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX webhook_outbox_next_attempt_at_idx ON webhook_outbox (next_attempt_at);
