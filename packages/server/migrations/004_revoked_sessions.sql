-- Sessions (refresh-token families) ended before their access tokens expire:
-- logout, password change, refresh-token reuse. Every check of an access
-- token refuses a session listed here; instances keep the list in memory and
-- poll it by revoked_at. A row is useless once every access token of its
-- session has expired (expires_at) and is swept then.
CREATE TABLE revoked_sessions (
  session_id uuid PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- clock_timestamp(), not now(): close to the commit, so a poll that reads
  -- "revoked since my last poll, minus an overlap" sees it.
  revoked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_revoked_at_idx ON revoked_sessions (revoked_at);
CREATE INDEX revoked_sessions_expires_at_idx ON revoked_sessions (expires_at);

-- Sessions revoked shortly before this migration still have live access
-- tokens (JWT_ACCESS_TTL is at most a day).
INSERT INTO revoked_sessions (session_id, user_id, revoked_at, expires_at)
SELECT DISTINCT ON (family_id) family_id, user_id, revoked_at, revoked_at + interval '1 day'
  FROM refresh_tokens
 WHERE revoked_at > now() - interval '1 day'
 ORDER BY family_id, revoked_at DESC;
