-- The data model of Hanko v1.2.1 (reference section 6), plus the webhook outbox.
-- Times are stored in UTC; the store never fills them in itself.

CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE emails (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
    address     VARCHAR(255) NOT NULL,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX emails_address_key ON emails (address);
CREATE INDEX emails_user_id_idx ON emails (user_id);

CREATE TABLE primary_emails (
    id          TEXT PRIMARY KEY NOT NULL,
    email_id    TEXT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX primary_emails_email_id_key ON primary_emails (email_id);
CREATE UNIQUE INDEX primary_emails_user_id_key ON primary_emails (user_id);

CREATE TABLE usernames (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    username    VARCHAR(255) NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX usernames_username_key ON usernames (username);
CREATE UNIQUE INDEX usernames_user_id_key ON usernames (user_id);

CREATE TABLE password_credentials (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX password_credentials_user_id_key ON password_credentials (user_id);

CREATE TABLE passcodes (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_id    TEXT NULL REFERENCES emails (id) ON DELETE CASCADE,
    ttl         INTEGER NOT NULL,
    code        VARCHAR(255) NOT NULL,
    try_count   INTEGER NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX passcodes_user_id_idx ON passcodes (user_id);
CREATE INDEX passcodes_email_id_idx ON passcodes (email_id);
CREATE INDEX passcodes_expires_at_idx ON passcodes (expires_at);

CREATE TABLE webauthn_credentials (
    id               VARCHAR(255) PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key       TEXT NOT NULL,
    attestation_type VARCHAR(255) NOT NULL,
    aaguid           TEXT NOT NULL,
    sign_count       INTEGER NOT NULL DEFAULT 0,
    name             VARCHAR(255) NULL,
    backup_eligible  BOOLEAN NOT NULL DEFAULT FALSE,
    backup_state     BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at     TIMESTAMP NULL,
    mfa_only         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id);

CREATE TABLE webauthn_credential_transports (
    id                      TEXT PRIMARY KEY NOT NULL,
    name                    VARCHAR(255) NOT NULL,
    webauthn_credential_id  VARCHAR(255) NOT NULL REFERENCES webauthn_credentials (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_transports_name_credential_key
    ON webauthn_credential_transports (name, webauthn_credential_id);
CREATE INDEX webauthn_credential_transports_credential_idx
    ON webauthn_credential_transports (webauthn_credential_id);

CREATE TABLE webauthn_session_data (
    id                 TEXT PRIMARY KEY NOT NULL,
    challenge          VARCHAR(255) NOT NULL,
    user_id            TEXT NULL,
    user_verification  VARCHAR(255) NOT NULL,
    operation          VARCHAR(255) NOT NULL,
    expires_at         TIMESTAMP NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webauthn_session_data_challenge_key ON webauthn_session_data (challenge);
CREATE INDEX webauthn_session_data_expires_at_idx ON webauthn_session_data (expires_at);

CREATE TABLE webauthn_session_data_allowed_credentials (
    id                        TEXT PRIMARY KEY NOT NULL,
    credential_id             VARCHAR(255) NOT NULL,
    webauthn_session_data_id  TEXT NOT NULL REFERENCES webauthn_session_data (id) ON DELETE CASCADE,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL
);
CREATE INDEX webauthn_session_data_allowed_credentials_session_idx
    ON webauthn_session_data_allowed_credentials (webauthn_session_data_id);

CREATE TABLE jwks (
    id          INTEGER PRIMARY KEY NOT NULL,
    key_data    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE audit_logs (
    id                    TEXT PRIMARY KEY NOT NULL,
    type                  VARCHAR(255) NOT NULL,
    error                 TEXT NULL,
    meta_http_request_id  VARCHAR(255) NOT NULL,
    meta_source_ip        VARCHAR(255) NOT NULL,
    meta_user_agent       TEXT NOT NULL,
    actor_user_id         TEXT NULL,
    actor_email           VARCHAR(255) NULL,
    details               TEXT NULL,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX audit_logs_type_idx ON audit_logs (type);
CREATE INDEX audit_logs_actor_user_id_idx ON audit_logs (actor_user_id);
CREATE INDEX audit_logs_actor_email_idx ON audit_logs (actor_email);
CREATE INDEX audit_logs_meta_http_request_id_idx ON audit_logs (meta_http_request_id);
CREATE INDEX audit_logs_meta_source_ip_idx ON audit_logs (meta_source_ip);
CREATE INDEX audit_logs_created_at_idx ON audit_logs (created_at);

CREATE TABLE identities (
    id             TEXT PRIMARY KEY NOT NULL,
    provider_id    VARCHAR(255) NOT NULL,
    provider_name  VARCHAR(255) NOT NULL,
    data           TEXT NULL,
    email_id       TEXT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX identities_provider_key ON identities (provider_id, provider_name);
CREATE INDEX identities_email_id_idx ON identities (email_id);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value         VARCHAR(255) NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    identity_id   TEXT NULL REFERENCES identities (id) ON DELETE CASCADE,
    is_flow       BOOLEAN NOT NULL DEFAULT FALSE,
    user_created  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tokens_value_key ON tokens (value);
CREATE INDEX tokens_user_id_idx ON tokens (user_id);
CREATE INDEX tokens_identity_id_idx ON tokens (identity_id);
CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent  TEXT NOT NULL,
    ip_address  VARCHAR(255) NOT NULL,
    expires_at  TIMESTAMP NULL,
    last_used   TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY NOT NULL,
    callback    TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    failures    INTEGER NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY NOT NULL,
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event       VARCHAR(255) NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhook_events_webhook_event_key ON webhook_events (webhook_id, event);

-- Ours: events written in the transaction that caused them and delivered
-- after commit (DESIGN.md section 3).
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
