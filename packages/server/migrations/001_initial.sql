-- Parley schema v1. Runs unchanged on PGlite (embedded) and PostgreSQL.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- Prefix search on usernames (user search).
CREATE INDEX users_username_prefix_idx ON users (username text_pattern_ops);

CREATE TABLE conversations (
  id          uuid PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('direct', 'group')),
  title       text,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- "<smaller user id>:<larger user id>" for direct conversations, so a pair has one.
  direct_key  text UNIQUE,
  -- The conversation's log counter: the seq of its newest entry. Taken under the
  -- row lock in the same transaction as the write, so seqs are dense.
  last_seq    integer NOT NULL DEFAULT 0,
  created_by  uuid NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversation_members (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role            text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
  delivered_seq   integer NOT NULL DEFAULT 0,
  read_seq        integer NOT NULL DEFAULT 0,
  joined_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE messages (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  sender_id       uuid NOT NULL REFERENCES users (id),
  kind            text NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'system')),
  client_msg_id   text,
  content         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
  CONSTRAINT messages_client_msg_id_key UNIQUE (conversation_id, sender_id, client_msg_id)
);
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at DESC);

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  -- SHA-256 of the token: a database leak does not leak usable tokens.
  token_hash  text NOT NULL UNIQUE,
  family_id   uuid NOT NULL,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  alg         text NOT NULL,
  private_jwk jsonb NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ws_tickets (
  ticket_hash text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL
);
