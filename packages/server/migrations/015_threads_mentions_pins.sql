-- Threads, mentions and pins (issue #15).

-- Threads. A reply sent with `thread: true`, or any reply to a message already
-- in a thread, belongs to the thread of a root message: `thread_root_seq` is
-- the root's seq. Thread replies stay entries of the conversation's log; the
-- root keeps the thread's summary, moved in the same statement that stores a
-- reply (message-writer's reply statement).
ALTER TABLE messages ADD COLUMN thread_root_seq integer;
ALTER TABLE messages ADD COLUMN thread_reply_count integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_last_seq integer;
-- A thread's replies by root, for paging a thread. Partial: most messages are in none.
CREATE INDEX messages_thread_idx ON messages (conversation_id, thread_root_seq, seq) WHERE thread_root_seq IS NOT NULL;

-- How far each member has read each thread they opened (absent: nothing read).
CREATE TABLE thread_reads (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  root_seq        integer NOT NULL,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  read_seq        integer NOT NULL,
  PRIMARY KEY (conversation_id, root_seq, user_id)
);

-- Pins: the pinned message keeps who pinned it and when (null: not pinned); the
-- pin and unpin themselves are `change` entries of the log.
ALTER TABLE messages ADD COLUMN pinned_at timestamptz;
ALTER TABLE messages ADD COLUMN pinned_by uuid;
CREATE INDEX messages_pinned_idx ON messages (conversation_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- Group settings: who may pin and unpin, who may mention @everyone.
-- Direct conversations ignore both (both members may pin; there is no @everyone).
ALTER TABLE conversations ADD COLUMN pin_policy text NOT NULL DEFAULT 'admins' CHECK (pin_policy IN ('admins', 'members'));
ALTER TABLE conversations ADD COLUMN everyone_policy text NOT NULL DEFAULT 'members' CHECK (everyone_policy IN ('admins', 'members'));
