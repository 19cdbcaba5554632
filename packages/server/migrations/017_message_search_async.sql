-- Message search off the send path (#15). Migration 008 indexed every message
-- by an expression GIN index on `messages`, so each send paid for its bigrams
-- and their GIN entries inside its own transaction (about 80 µs of database
-- CPU for a 75-character message). The bigrams now live in their own table,
-- filled after the send commits by the search indexer
-- (search/search-indexer.ts, an event consumer of message.created,
-- message.edited and message.deleted). The index only proposes candidates:
-- a search always checks them against the message's current text and state,
-- so a row not yet updated after an edit or a delete never shows old text,
-- it only delays finding the new one.
--
-- One row per message that has text: the text as the indexer last read it,
-- GIN-indexed by its bigrams (parley_search_bigrams, migration 008, the same
-- function the search applies to the query). The text rather than its bigram
-- array: at 1,000,000 messages the arrays took 430 MiB besides the index, a
-- copy of the text about a quarter of that. A delete removes the row in its
-- own transaction, so no deleted text stays here.
CREATE TABLE message_search (
  message_id uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  text       text NOT NULL
);

-- Existing messages, then the index over them in one build (cheaper than
-- growing it row by row).
INSERT INTO message_search (message_id, text)
SELECT id, content->>'text'
  FROM messages
 WHERE kind = 'message' AND content->>'text' IS NOT NULL;

CREATE INDEX message_search_bigrams_idx ON message_search USING gin (parley_search_bigrams(text));

DROP INDEX messages_search_bigrams_idx;
