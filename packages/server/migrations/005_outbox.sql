-- The transactional outbox (issue #13): every durable change also writes one
-- row here in the same transaction (for sends, in the writer's batch
-- statement), so what leaves for Kafka is exactly what was committed: a
-- rolled-back send writes no event, and a committed one cannot be lost.
--
-- `id` orders the outbox. It is taken when the row is inserted, which for a
-- conversation's events is after its counter's row lock: one conversation's
-- events get ids in seq order, and the relay, reading unrelayed rows in id
-- order, keeps per-conversation order. Rows of other conversations may commit
-- out of id order; the relay reads "relayed_at IS NULL", never "id > last",
-- so a late commit is relayed on the next pass instead of being skipped.
CREATE TABLE outbox (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Stable per event: a relay that repeats a batch repeats the same event_id.
  event_id       uuid NOT NULL UNIQUE,
  -- e.g. "message.created", "conversation.members_added", "user.registered".
  type           text NOT NULL,
  schema_version integer NOT NULL,
  -- The domain, which names the Kafka topic: messages, conversations, users, calls.
  topic          text NOT NULL,
  -- The Kafka key: the conversation id (the user id for user events).
  key            uuid NOT NULL,
  occurred_at    timestamptz NOT NULL DEFAULT now(),
  payload        jsonb NOT NULL,
  -- Set once Kafka acknowledged the event; relayed rows are pruned after a retention.
  relayed_at     timestamptz
);
CREATE INDEX outbox_unrelayed_idx ON outbox (id) WHERE relayed_at IS NULL;
CREATE INDEX outbox_relayed_at_idx ON outbox (relayed_at) WHERE relayed_at IS NOT NULL;
CREATE INDEX outbox_occurred_at_idx ON outbox (occurred_at);

-- Leases for work that exactly one instance may do at a time (the outbox
-- relay). The holder renews before expires_at; once it has passed, any
-- instance may take the lease over.
CREATE TABLE leases (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  expires_at timestamptz NOT NULL
);
