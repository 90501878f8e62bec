-- Ours: the token buckets of the database rate-limit store
-- (rate_limiter.store: database), which lets several instances share limits
-- without Redis. One row per limited key:
--   id          the limiter's prefix and key (route/user/IP), at most 255
--               characters (longer keys are hashed by the limiter)
--   full_at     when the bucket is full again, in microseconds since the
--               Unix epoch: an integer, so the bucket arithmetic runs in SQL
--               the same way on every engine
--   expires_at  a time by which the bucket is certainly full; the sweeper
--               deletes rows past it, since a full bucket carries nothing
CREATE TABLE rate_limits (
    id          VARCHAR(255) PRIMARY KEY NOT NULL,
    full_at     BIGINT NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_expires_at_idx ON rate_limits (expires_at);
