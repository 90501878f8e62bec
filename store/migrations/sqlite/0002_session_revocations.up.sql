-- Ours: a feed of revoked sessions, which every instance polls so that a
-- revoked session is refused everywhere without a database round trip per
-- request. Rows outlive the session's expiry only until the sweeper runs.
CREATE TABLE session_revocations (
    id          TEXT PRIMARY KEY NOT NULL,
    session_id  TEXT NOT NULL,
    expires_at  TIMESTAMP NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX session_revocations_created_at_idx ON session_revocations (created_at);
CREATE INDEX session_revocations_expires_at_idx ON session_revocations (expires_at);
