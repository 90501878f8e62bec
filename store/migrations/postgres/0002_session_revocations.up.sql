-- Ours: a feed of revoked sessions (see the SQLite migration).
CREATE TABLE session_revocations (
    id          uuid PRIMARY KEY NOT NULL,
    session_id  uuid NOT NULL,
    expires_at  timestamptz NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX session_revocations_created_at_idx ON session_revocations (created_at);
CREATE INDEX session_revocations_expires_at_idx ON session_revocations (expires_at);
