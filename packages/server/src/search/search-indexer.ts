import type { EventEnvelope, EventPayload } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import type { EventConsumer } from '../consumers/event-consumer.ts';

const INDEXED_EVENTS = new Set(['message.created', 'message.edited', 'message.deleted']);

/**
 * Keeps the search index (`message_search`, migration 017) up to date after
 * sends commit, off their path: an event consumer of the messages topic, fed
 * by the outbox relay in-process (one relay per deployment, by its lease) or
 * by Kafka with its own consumer group (`npm run consumers`). Downtime leaves
 * the events in the outbox or in Kafka, so the indexer catches up from where
 * it stopped.
 *
 * It never indexes an event's payload: for every message an event names it
 * reads the message's current text and writes it, indexed by its bigrams
 * (or removes the row once the text is gone). Indexing is therefore idempotent
 * and indifferent to order: a repeated or late `message.created` after an
 * edit writes the edited text, and two instances handling the same
 * event write the same row (one row per message, by its primary key). The
 * searches check every candidate against the current text anyway, so the
 * index may lag but never shows stale text.
 */
export class SearchIndexConsumer implements EventConsumer {
  readonly name = 'search-index';
  readonly topics = ['messages'] as const;

  handle(event: EventEnvelope, tx: Sql): Promise<void> {
    return this.handleBatch([event], tx);
  }

  /** A relay batch (up to OUTBOX_RELAY_BATCH events) in one statement. */
  async handleBatch(events: readonly EventEnvelope[], tx: Sql): Promise<void> {
    const ids = [...new Set(events.filter((e) => INDEXED_EVENTS.has(e.type)).map((e) => (e.payload as EventPayload<'message.deleted'>).message_id))];
    if (ids.length > 0) await reindexMessages(tx, ids);
  }
}

/**
 * Brings the index rows of these messages in line with their current text:
 * written (or rewritten, when an edit changed the text) for a message with
 * text, removed for a deleted one. Ids of no message are ignored.
 */
export async function reindexMessages(tx: Sql, messageIds: readonly string[]): Promise<void> {
  await tx.query(
    `WITH m AS (
       SELECT id, content->>'text' AS text FROM messages WHERE id = ANY($1::uuid[]) AND kind = 'message'
     ), gone AS (
       DELETE FROM message_search s
        WHERE s.message_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM m WHERE m.id = s.message_id AND m.text IS NOT NULL)
     )
     INSERT INTO message_search (message_id, text)
     SELECT id, text FROM m WHERE text IS NOT NULL
     ON CONFLICT (message_id) DO UPDATE SET text = EXCLUDED.text
      WHERE message_search.text IS DISTINCT FROM EXCLUDED.text`,
    [[...messageIds]],
  );
}
