-- A WebSocket ticket stands for the access token it was issued with: the
-- socket it opens belongs to the same session and expires with that token.
DELETE FROM ws_tickets;
ALTER TABLE ws_tickets ADD COLUMN session_id uuid NOT NULL;
ALTER TABLE ws_tickets ADD COLUMN token_expires_at bigint NOT NULL;
