-- Ours: the token buckets of the database rate-limit store (see the SQLite
-- migration for the columns). The key compares exactly (utf8mb4_bin).
CREATE TABLE IF NOT EXISTS rate_limits (
    id          VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    full_at     BIGINT NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY rate_limits_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
