-- Member count on the conversation row: decides whether a conversation fans
-- out per user or on one room channel, without counting rows per send.
ALTER TABLE conversations ADD COLUMN member_count integer NOT NULL DEFAULT 0;

UPDATE conversations c
   SET member_count = (SELECT count(*) FROM conversation_members m WHERE m.conversation_id = c.id);

-- Large rooms of a user are looked up on every connect.
CREATE INDEX conversations_member_count_idx ON conversations (member_count);
