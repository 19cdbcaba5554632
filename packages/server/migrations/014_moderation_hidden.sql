-- Moderation's hide (issue #13): a message hidden by a rule hit or an operator
-- stays in the table with its text and attachments (a restore brings them
-- back), but every member's view reads it as removed by moderation while
-- `hidden_at` is set. Hiding and restoring are change entries of the log
-- (content.change 'hidden' / 'restored', see 007), like edits and deletes.
ALTER TABLE messages ADD COLUMN hidden_at timestamptz;
-- Why (never shown to members): the rule kind, "classifier" or "report".
ALTER TABLE messages ADD COLUMN hidden_reason text;
