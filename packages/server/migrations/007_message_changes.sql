-- Replies, edits, deletes and reactions (issue #15). Each change is an entry of
-- the conversation's log (kind 'change', its own seq, content.change naming
-- what it does to the message at `target_seq`); the target row also keeps its
-- current state, so history and sync read a message as it is now, with
-- `last_change_seq` telling a client which change entries it already reflects.
-- A later kind of change (moderation's hidden / restored) is one more value of
-- content.change, applied the same way.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN ('message', 'system', 'change'));
-- The seq of the message this one replies to (same conversation).
ALTER TABLE messages ADD COLUMN reply_to_seq integer;
-- Change entries: the seq of the message they change.
ALTER TABLE messages ADD COLUMN target_seq integer;
-- A message's state: when last edited, when deleted (its content is then gone),
-- the seq of the newest change applied, and how many reactions it has.
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;
ALTER TABLE messages ADD COLUMN last_change_seq integer;
ALTER TABLE messages ADD COLUMN reaction_count integer NOT NULL DEFAULT 0;
-- A message's change entries (to redact an edit's text when the message is
-- deleted). Partial: plain messages, the bulk of the table, are not indexed.
CREATE INDEX messages_target_idx ON messages (conversation_id, target_seq) WHERE target_seq IS NOT NULL;

-- Earlier versions of an edited message's text, oldest first (version 1 is the
-- text as sent). Deleting the message deletes them: a redaction, not a flag.
CREATE TABLE message_edits (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  version    integer NOT NULL,
  text       text NOT NULL,
  -- When this version was replaced.
  replaced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, version)
);

-- Who reacted to a message with what; one row per (message, emoji, member).
CREATE TABLE message_reactions (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  emoji      text NOT NULL,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, emoji, user_id)
);
CREATE INDEX message_reactions_member_idx ON message_reactions (message_id, user_id);
