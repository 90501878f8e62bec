-- Ours: the token buckets of the database rate-limit store (see the SQLite
-- migration for the columns).
CREATE TABLE rate_limits (
    id          varchar(255) PRIMARY KEY NOT NULL,
    full_at     bigint NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at);
