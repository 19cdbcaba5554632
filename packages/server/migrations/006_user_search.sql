-- User search matches anywhere in the username or display name (users-repo.ts):
-- trigram indexes serve LIKE '%…%' (and LIKE '…%') on both. pg_trgm ships in
-- PostgreSQL's contrib and is a trusted extension (the database owner may
-- create it); the embedded tier loads PGlite's build of it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_username_trgm_idx ON users USING gin (username gin_trgm_ops);
CREATE INDEX users_display_name_trgm_idx ON users USING gin (lower(display_name) gin_trgm_ops);
