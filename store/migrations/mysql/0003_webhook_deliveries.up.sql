-- Ours: one outbox row per (event, hook); see the SQLite migration.
-- Re-runnable like every MySQL migration, and without losing deliveries: a
-- re-run (after a migrator died before recording this step) finds the new
-- table and keeps it. Only the old shape, which has no callback column,
-- is dropped; MySQL has no conditional DDL, hence the prepared statement.
SET @hanko_0003 = IF(
    EXISTS (SELECT 1 FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_name = 'webhook_outbox')
    AND NOT EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'webhook_outbox' AND column_name = 'callback'),
    'DROP TABLE webhook_outbox',
    'DO 0');
PREPARE hanko_0003 FROM @hanko_0003;
EXECUTE hanko_0003;
DEALLOCATE PREPARE hanko_0003;
CREATE TABLE IF NOT EXISTS webhook_outbox (
    id               CHAR(36) NOT NULL,
    event            VARCHAR(255) NOT NULL,
    data             MEDIUMTEXT NOT NULL,
    webhook_id       CHAR(36) NULL,
    callback         TEXT NOT NULL,
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6) NOT NULL,
    locked_until     DATETIME(6) NULL,
    last_error       TEXT NULL,
    created_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY webhook_outbox_next_attempt_at_idx (next_attempt_at, id),
    KEY webhook_outbox_webhook_id_idx (webhook_id),
    FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
