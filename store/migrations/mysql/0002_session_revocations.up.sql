-- Ours: a feed of revoked sessions (see the SQLite migration).
CREATE TABLE IF NOT EXISTS session_revocations (
    id          CHAR(36) NOT NULL,
    session_id  CHAR(36) NOT NULL,
    expires_at  DATETIME(6) NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY session_revocations_created_at_idx (created_at),
    KEY session_revocations_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
