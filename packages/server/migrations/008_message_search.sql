-- Message search (search/search-repo.ts): a substring of a message's text,
-- case-insensitively, in any script. PostgreSQL's word search splits no
-- Chinese or Japanese text into words and finds no "config" in "reconfigure";
-- pg_trgm's trigrams cannot serve a two-character query such as "会議", and
-- which characters it keeps depends on the database's ctype (under the C
-- locale it drops every non-ASCII letter). So messages are indexed by the
-- character bigrams of their lower-cased text, in a GIN index of plain text
-- arrays (no extension, the same on PGlite and PostgreSQL, any locale): a
-- query of two or more characters needs every one of its bigrams, then the
-- match is checked exactly with strpos.
--
-- The migration runner splits statements on ";" at line ends, so no line of
-- the function body ends with one. Duplicate bigrams are left in: GIN keeps
-- each key once per row anyway.
CREATE FUNCTION parley_search_bigrams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE grams text[] := '{}'; prev text; ch text; BEGIN
  FOREACH ch IN ARRAY string_to_array(lower(t), NULL) LOOP
    IF prev IS NOT NULL THEN grams := grams || (prev || ch); END IF; prev := ch; END LOOP; RETURN grams; END $$;

-- Only messages carry text (system entries do not); a deleted message's text
-- is gone (NULL), which the STRICT function turns into no bigrams at all.
CREATE INDEX messages_search_bigrams_idx ON messages
  USING gin (parley_search_bigrams(content->>'text'))
  WHERE kind = 'message';
