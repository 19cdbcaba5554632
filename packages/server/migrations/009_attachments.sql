-- Attachments (issue #14). One row per upload: its tus progress while
-- `uploading`, then the processing job (`pending`, claimed by any instance
-- with a lease), then what processing found. The bytes live in the blob
-- store (filesystem or S3) under keys named by the id, never in the database.
CREATE TABLE attachments (
  id               uuid PRIMARY KEY,
  conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  uploader_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name             text NOT NULL,
  -- What the client said the type was: kept for the record, never used to serve.
  declared_type    text,
  size             bigint NOT NULL CHECK (size >= 0),
  -- Bytes stored so far (the tus offset); equal to size once the upload is complete.
  received         bigint NOT NULL DEFAULT 0,
  status           text NOT NULL DEFAULT 'uploading'
                   CHECK (status IN ('uploading', 'pending', 'clean', 'blocked', 'failed')),
  scan             text NOT NULL CHECK (scan IN ('clamav', 'off')),
  content_type     text,
  reason           text,
  width            integer,
  height           integer,
  -- Blob keys of the served file and its thumbnail, set when clean.
  object_key       text,
  thumbnail_key    text,
  message_id       uuid,
  -- The processing job: due at next_attempt_at, held by lease_holder until lease_expires_at.
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  lease_holder     text,
  lease_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  processed_at     timestamptz
);
CREATE INDEX attachments_due_idx ON attachments (next_attempt_at) WHERE status = 'pending';
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id);
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unreferenced_idx ON attachments (created_at) WHERE message_id IS NULL;

-- The pieces of an upload as they arrived (one per tus PATCH), in the blob
-- store at uploads/<id>/<start>; read back in order they make the file.
CREATE TABLE attachment_parts (
  attachment_id uuid NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  start         bigint NOT NULL,
  size          bigint NOT NULL CHECK (size > 0),
  PRIMARY KEY (attachment_id, start)
);
