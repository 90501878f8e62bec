-- The data model of Hanko v1.2.1 (reference section 6), plus the webhook outbox.
-- PostgreSQL and CockroachDB. Times are timestamptz; the store never fills them in itself.
-- The whole file runs in one transaction (see store/migrate.go).

CREATE TABLE users (
    id          uuid PRIMARY KEY NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE emails (
    id          uuid PRIMARY KEY NOT NULL,
    user_id     uuid NULL REFERENCES users (id) ON DELETE CASCADE,
    address     varchar(255) NOT NULL,
    verified    boolean NOT NULL DEFAULT FALSE,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX emails_address_key ON emails (address);
CREATE INDEX emails_user_id_idx ON emails (user_id);

CREATE TABLE primary_emails (
    id          uuid PRIMARY KEY NOT NULL,
    email_id    uuid NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX primary_emails_email_id_key ON primary_emails (email_id);
CREATE UNIQUE INDEX primary_emails_user_id_key ON primary_emails (user_id);

CREATE TABLE usernames (
    id          uuid PRIMARY KEY NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    username    varchar(255) NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX usernames_username_key ON usernames (username);
CREATE UNIQUE INDEX usernames_user_id_key ON usernames (user_id);

CREATE TABLE password_credentials (
    id          uuid PRIMARY KEY NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password    text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX password_credentials_user_id_key ON password_credentials (user_id);

CREATE TABLE passcodes (
    id          uuid PRIMARY KEY NOT NULL,
    user_id     uuid NULL REFERENCES users (id) ON DELETE CASCADE,
    email_id    uuid NULL REFERENCES emails (id) ON DELETE CASCADE,
    ttl         integer NOT NULL,
    code        varchar(255) NOT NULL,
    try_count   integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX passcodes_user_id_idx ON passcodes (user_id);
CREATE INDEX passcodes_email_id_idx ON passcodes (email_id);
CREATE INDEX passcodes_expires_at_idx ON passcodes (expires_at);

-- sign_count is a uint32 on the wire, which overflows integer: bigint.
CREATE TABLE webauthn_credentials (
    id               varchar(255) PRIMARY KEY NOT NULL,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key       text NOT NULL,
    attestation_type varchar(255) NOT NULL,
    aaguid           uuid NOT NULL,
    sign_count       bigint NOT NULL DEFAULT 0,
    name             varchar(255) NULL,
    backup_eligible  boolean NOT NULL DEFAULT FALSE,
    backup_state     boolean NOT NULL DEFAULT FALSE,
    last_used_at     timestamptz NULL,
    mfa_only         boolean NOT NULL DEFAULT FALSE,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webauthn_credentials_user_id_idx ON webauthn_credentials (user_id);

CREATE TABLE webauthn_credential_transports (
    id                      uuid PRIMARY KEY NOT NULL,
    name                    varchar(255) NOT NULL,
    webauthn_credential_id  varchar(255) NOT NULL REFERENCES webauthn_credentials (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_transports_name_credential_key
    ON webauthn_credential_transports (name, webauthn_credential_id);
CREATE INDEX webauthn_credential_transports_credential_idx
    ON webauthn_credential_transports (webauthn_credential_id);

CREATE TABLE webauthn_session_data (
    id                 uuid PRIMARY KEY NOT NULL,
    challenge          varchar(255) NOT NULL,
    user_id            uuid NULL,
    user_verification  varchar(255) NOT NULL,
    operation          varchar(255) NOT NULL,
    expires_at         timestamptz NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX webauthn_session_data_challenge_key ON webauthn_session_data (challenge);
CREATE INDEX webauthn_session_data_expires_at_idx ON webauthn_session_data (expires_at);

CREATE TABLE webauthn_session_data_allowed_credentials (
    id                        uuid PRIMARY KEY NOT NULL,
    credential_id             varchar(255) NOT NULL,
    webauthn_session_data_id  uuid NOT NULL REFERENCES webauthn_session_data (id) ON DELETE CASCADE,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX webauthn_session_data_allowed_credentials_session_idx
    ON webauthn_session_data_allowed_credentials (webauthn_session_data_id);

CREATE TABLE jwks (
    id          integer PRIMARY KEY NOT NULL,
    key_data    text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE audit_logs (
    id                    uuid PRIMARY KEY NOT NULL,
    type                  varchar(255) NOT NULL,
    error                 text NULL,
    meta_http_request_id  varchar(255) NOT NULL,
    meta_source_ip        varchar(255) NOT NULL,
    meta_user_agent       text NOT NULL,
    actor_user_id         uuid NULL,
    actor_email           varchar(255) NULL,
    details               text NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX audit_logs_type_idx ON audit_logs (type);
CREATE INDEX audit_logs_actor_user_id_idx ON audit_logs (actor_user_id);
CREATE INDEX audit_logs_actor_email_idx ON audit_logs (actor_email);
CREATE INDEX audit_logs_meta_http_request_id_idx ON audit_logs (meta_http_request_id);
CREATE INDEX audit_logs_meta_source_ip_idx ON audit_logs (meta_source_ip);
CREATE INDEX audit_logs_created_at_idx ON audit_logs (created_at);

CREATE TABLE identities (
    id             uuid PRIMARY KEY NOT NULL,
    provider_id    varchar(255) NOT NULL,
    provider_name  varchar(255) NOT NULL,
    data           text NULL,
    email_id       uuid NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX identities_provider_key ON identities (provider_id, provider_name);
CREATE INDEX identities_email_id_idx ON identities (email_id);

CREATE TABLE tokens (
    id            uuid PRIMARY KEY NOT NULL,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value         varchar(255) NOT NULL,
    expires_at    timestamptz NOT NULL,
    identity_id   uuid NULL REFERENCES identities (id) ON DELETE CASCADE,
    is_flow       boolean NOT NULL DEFAULT FALSE,
    user_created  boolean NOT NULL DEFAULT FALSE,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX tokens_value_key ON tokens (value);
CREATE INDEX tokens_user_id_idx ON tokens (user_id);
CREATE INDEX tokens_identity_id_idx ON tokens (identity_id);
CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);

CREATE TABLE sessions (
    id          uuid PRIMARY KEY NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent  text NOT NULL,
    ip_address  varchar(255) NOT NULL,
    expires_at  timestamptz NULL,
    last_used   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE webhooks (
    id          uuid PRIMARY KEY NOT NULL,
    callback    text NOT NULL,
    enabled     boolean NOT NULL DEFAULT TRUE,
    failures    integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY NOT NULL,
    webhook_id  uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event       varchar(255) NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX webhook_events_webhook_event_key ON webhook_events (webhook_id, event);

-- Ours: events written in the transaction that caused them and delivered
-- after commit (DESIGN.md section 3).
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
