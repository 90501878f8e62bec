DROP TABLE IF EXISTS webhook_outbox;
CREATE TABLE IF NOT EXISTS webhook_outbox (
    id               CHAR(36) NOT NULL,
    event            VARCHAR(255) NOT NULL,
    data             TEXT NOT NULL,
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6) NOT NULL,
    locked_until     DATETIME(6) NULL,
    last_error       TEXT NULL,
    created_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY webhook_outbox_next_attempt_at_idx (next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
