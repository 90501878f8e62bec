-- The data model of Hanko v1.2.1 (reference section 6), plus the webhook outbox.
-- MySQL 8 and MariaDB 10.11+. Times are DATETIME(6) in UTC (Open pins the
-- session time zone and the driver location); the store never fills them in.
--
-- MySQL cannot roll DDL back, so every statement is re-runnable (IF NOT
-- EXISTS, indexes inside CREATE TABLE): a migration that stopped half way
-- is finished by running it again.
--
-- Text compares case-insensitively under the table default collation.
-- Columns compared for identity (addresses, usernames, challenges, token
-- values, credential and provider ids, the passcode MAC) and every column of
-- a unique index use utf8mb4_bin instead, so equality and uniqueness are
-- exact, as on SQLite and PostgreSQL; callers normalise (lower-case, trim)
-- before they store. UUIDs are CHAR(36) in lower-case text form.

CREATE TABLE IF NOT EXISTS users (
    id          CHAR(36) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY users_created_at_idx (created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS emails (
    id          CHAR(36) NOT NULL,
    user_id     CHAR(36) NULL,
    address     VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY emails_address_key (address),
    KEY emails_user_id_idx (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS primary_emails (
    id          CHAR(36) NOT NULL,
    email_id    CHAR(36) NOT NULL,
    user_id     CHAR(36) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY primary_emails_email_id_key (email_id),
    UNIQUE KEY primary_emails_user_id_key (user_id),
    FOREIGN KEY (email_id) REFERENCES emails (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS usernames (
    id          CHAR(36) NOT NULL,
    user_id     CHAR(36) NOT NULL,
    username    VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY usernames_username_key (username),
    UNIQUE KEY usernames_user_id_key (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS password_credentials (
    id          CHAR(36) NOT NULL,
    user_id     CHAR(36) NOT NULL,
    password    TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY password_credentials_user_id_key (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS passcodes (
    id          CHAR(36) NOT NULL,
    user_id     CHAR(36) NULL,
    email_id    CHAR(36) NULL,
    ttl         INT NOT NULL,
    code        VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    try_count   INT NOT NULL DEFAULT 0,
    expires_at  DATETIME(6) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY passcodes_user_id_idx (user_id),
    KEY passcodes_email_id_idx (email_id),
    KEY passcodes_expires_at_idx (expires_at),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (email_id) REFERENCES emails (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- sign_count is a uint32 on the wire, which overflows a signed INT: BIGINT.
CREATE TABLE IF NOT EXISTS webauthn_credentials (
    id               VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    user_id          CHAR(36) NOT NULL,
    public_key       TEXT NOT NULL,
    attestation_type VARCHAR(255) NOT NULL,
    aaguid           CHAR(36) NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    name             VARCHAR(255) NULL,
    backup_eligible  BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state     BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at     DATETIME(6) NULL,
    mfa_only         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       DATETIME(6) NOT NULL,
    updated_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY webauthn_credentials_user_id_idx (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webauthn_credential_transports (
    id                      CHAR(36) NOT NULL,
    name                    VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    webauthn_credential_id  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY webauthn_credential_transports_name_credential_key (name, webauthn_credential_id),
    KEY webauthn_credential_transports_credential_idx (webauthn_credential_id),
    FOREIGN KEY (webauthn_credential_id) REFERENCES webauthn_credentials (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webauthn_session_data (
    id                 CHAR(36) NOT NULL,
    challenge          VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    user_id            CHAR(36) NULL,
    user_verification  VARCHAR(255) NOT NULL,
    operation          VARCHAR(255) NOT NULL,
    expires_at         DATETIME(6) NULL,
    created_at         DATETIME(6) NOT NULL,
    updated_at         DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY webauthn_session_data_challenge_key (challenge),
    KEY webauthn_session_data_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webauthn_session_data_allowed_credentials (
    id                        CHAR(36) NOT NULL,
    credential_id             VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    webauthn_session_data_id  CHAR(36) NOT NULL,
    created_at                DATETIME(6) NOT NULL,
    updated_at                DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY webauthn_session_data_allowed_credentials_session_idx (webauthn_session_data_id),
    FOREIGN KEY (webauthn_session_data_id) REFERENCES webauthn_session_data (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS jwks (
    id          INT NOT NULL,
    key_data    TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS audit_logs (
    id                    CHAR(36) NOT NULL,
    type                  VARCHAR(255) NOT NULL,
    error                 TEXT NULL,
    meta_http_request_id  VARCHAR(255) NOT NULL,
    meta_source_ip        VARCHAR(255) NOT NULL,
    meta_user_agent       TEXT NOT NULL,
    actor_user_id         CHAR(36) NULL,
    actor_email           VARCHAR(255) NULL,
    details               TEXT NULL,
    created_at            DATETIME(6) NOT NULL,
    updated_at            DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY audit_logs_type_idx (type),
    KEY audit_logs_actor_user_id_idx (actor_user_id),
    KEY audit_logs_actor_email_idx (actor_email),
    KEY audit_logs_meta_http_request_id_idx (meta_http_request_id),
    KEY audit_logs_meta_source_ip_idx (meta_source_ip),
    KEY audit_logs_created_at_idx (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS identities (
    id             CHAR(36) NOT NULL,
    provider_id    VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    provider_name  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    data           TEXT NULL,
    email_id       CHAR(36) NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY identities_provider_key (provider_id, provider_name),
    KEY identities_email_id_idx (email_id),
    FOREIGN KEY (email_id) REFERENCES emails (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS tokens (
    id            CHAR(36) NOT NULL,
    user_id       CHAR(36) NOT NULL,
    value         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    expires_at    DATETIME(6) NOT NULL,
    identity_id   CHAR(36) NULL,
    is_flow       BOOLEAN NOT NULL DEFAULT FALSE,
    user_created  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY tokens_value_key (value),
    KEY tokens_user_id_idx (user_id),
    KEY tokens_identity_id_idx (identity_id),
    KEY tokens_expires_at_idx (expires_at),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sessions (
    id          CHAR(36) NOT NULL,
    user_id     CHAR(36) NOT NULL,
    user_agent  TEXT NOT NULL,
    ip_address  VARCHAR(255) NOT NULL,
    expires_at  DATETIME(6) NULL,
    last_used   DATETIME(6) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY sessions_user_id_idx (user_id),
    KEY sessions_expires_at_idx (expires_at),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webhooks (
    id          CHAR(36) NOT NULL,
    callback    TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    failures    INT NOT NULL DEFAULT 0,
    expires_at  DATETIME(6) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webhook_events (
    id          CHAR(36) NOT NULL,
    webhook_id  CHAR(36) NOT NULL,
    event       VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY webhook_events_webhook_event_key (webhook_id, event),
    FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Ours: events written in the transaction that caused them and delivered
-- after commit (DESIGN.md section 3).
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
