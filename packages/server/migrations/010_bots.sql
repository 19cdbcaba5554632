-- Bot accounts, their long-lived tokens, and incoming webhooks (issue #19).

-- A bot is a user of kind 'bot': it has no usable password (login refuses it) and
-- acts through bot tokens. owner_id is who created it (null: an operator).
ALTER TABLE users ADD COLUMN kind text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'bot'));
ALTER TABLE users ADD COLUMN owner_id uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX users_owner_idx ON users (owner_id) WHERE owner_id IS NOT NULL;

-- Tokens are stored as SHA-256 hashes; the secret is shown once. A token's id is the
-- session id of the access tokens it is exchanged for, so revoking it goes through
-- revoked_sessions like a logout. conversation_ids NULL: every conversation the bot is in.
CREATE TABLE bot_tokens (
  id               uuid PRIMARY KEY,
  bot_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash       text NOT NULL UNIQUE,
  name             text NOT NULL,
  conversation_ids uuid[],
  can_read         boolean NOT NULL,
  can_send         boolean NOT NULL,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);
CREATE INDEX bot_tokens_bot_idx ON bot_tokens (bot_id);

-- An incoming webhook posts into one conversation as its own bot user (sender_id,
-- a member of the conversation); the secret in its URL is stored hashed.
CREATE TABLE webhooks (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  sender_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_hash     text NOT NULL UNIQUE,
  name            text NOT NULL,
  created_by      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz
);
CREATE INDEX webhooks_conversation_idx ON webhooks (conversation_id);
