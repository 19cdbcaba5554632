-- Consumers of the event stream, moderation and analytics (issue #13).

-- Events a consumer has handled, written in the transaction of the consumer's
-- own effects: a repeat of an event_id (at-least-once from either feed) is
-- recognised and skipped, so consumers are idempotent by event_id. Rows older
-- than CONSUMER_DEDUPE_RETENTION are pruned (a repeat can only come from a
-- feed that replays, bounded by the outbox retention or a Kafka rewind).
CREATE TABLE consumer_events (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX consumer_events_processed_at_idx ON consumer_events (processed_at);

-- Rules server operators manage. `pattern` is the word, the RE2 regex or the
-- domain; a rate rule has `max_messages` per `window_seconds` instead.
CREATE TABLE moderation_rules (
  id             uuid PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('word', 'regex', 'domain', 'rate')),
  pattern        text,
  max_messages   integer,
  window_seconds integer,
  created_by     uuid NOT NULL REFERENCES users (id),
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- The review queue: rule hits and user reports, worked through by operators.
CREATE TABLE moderation_items (
  id              uuid PRIMARY KEY,
  source          text NOT NULL CHECK (source IN ('rule', 'report')),
  conversation_id uuid NOT NULL,
  message_id      uuid NOT NULL,
  author_id       uuid NOT NULL REFERENCES users (id),
  -- Why, never the message text: the rule kind, "classifier", or "report".
  reason          text NOT NULL,
  rule_id         uuid,
  reporter_id     uuid REFERENCES users (id),
  -- The reporter's note (theirs, bounded), shown to operators only.
  note            text,
  status          text NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'restored', 'confirmed', 'warned', 'muted', 'banned')),
  hidden          boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  resolved_by     uuid REFERENCES users (id),
  resolved_at     timestamptz
);
-- One rule hit per message (a repeated event adds nothing), one report per member per message.
CREATE UNIQUE INDEX moderation_items_rule_hit_key ON moderation_items (message_id) WHERE source = 'rule';
CREATE UNIQUE INDEX moderation_items_report_key ON moderation_items (message_id, reporter_id) WHERE source = 'report';
CREATE INDEX moderation_items_open_idx ON moderation_items (created_at) WHERE status = 'open';

-- Mutes and bans; `until` null is permanent. Lifting one deletes its row.
CREATE TABLE user_sanctions (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('mute', 'ban')),
  until      timestamptz,
  item_id    uuid,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind)
);

-- Daily aggregates of the event stream (UTC days): one counter per metric.
CREATE TABLE analytics_daily (
  day    date NOT NULL,
  metric text NOT NULL,
  value  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric)
);
-- Who was active on a day (sent a message), so active_users counts each user once.
CREATE TABLE analytics_active_users (
  day     date NOT NULL,
  user_id uuid NOT NULL,
  PRIMARY KEY (day, user_id)
);
