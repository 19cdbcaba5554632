-- Outgoing event deliveries for integrations (issue #19).

-- An endpoint a server operator registered. `secret` is the HMAC signing key and is
-- kept as written: a signer needs the key itself (a hash cannot sign), like the JWT
-- signing keys kept in this database. It is shown once at creation and never again,
-- and never logged. conversation_ids NULL: events of every conversation.
CREATE TABLE event_endpoints (
  id               uuid PRIMARY KEY,
  url              text NOT NULL,
  event_types      text[] NOT NULL,
  conversation_ids uuid[],
  description      text,
  secret           text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- The delivery queue: one row per endpoint and event, written by the `integrations`
-- event consumer in the transaction that marks the event handled (so once per
-- event_id), and worked by any instance: claimed with FOR UPDATE SKIP LOCKED and a
-- lease. `body` is the event JSON as signed, kept only while the delivery is pending
-- (set to NULL once delivered or failed). Deleting the endpoint deletes its queue.
CREATE TABLE event_deliveries (
  id               uuid PRIMARY KEY,
  endpoint_id      uuid NOT NULL REFERENCES event_endpoints (id) ON DELETE CASCADE,
  event_id         uuid NOT NULL,
  event_type       text NOT NULL,
  body             text,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_holder     text,
  lease_expires_at timestamptz,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX event_deliveries_due_idx ON event_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX event_deliveries_endpoint_idx ON event_deliveries (endpoint_id, created_at);

-- Every attempt, for the delivery log: when, what came back, why it failed. Never the body.
CREATE TABLE event_delivery_attempts (
  delivery_id uuid NOT NULL REFERENCES event_deliveries (id) ON DELETE CASCADE,
  attempt     integer NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  status_code integer,
  error       text,
  duration_ms integer NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
