import { EventCatalogue, type EventPayload, type EventType } from '@parley/protocol';
import type { Sql } from '../store/database.ts';

/**
 * Writes to the transactional outbox (migration 005). Every durable change
 * records its event with the `Sql` of its own transaction, so the event
 * commits or rolls back with the change; sends record theirs inside the
 * writer's batch statement (`messageCreatedOutboxSql`). The relay
 * (`outbox-relay.ts`) moves the rows on.
 */

/** Timestamps in payloads as JavaScript's toISOString() writes them (UTC, milliseconds, `Z`). */
export const isoSql = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `type, schema_version, topic` of an event as SQL literals (constants of the catalogue, never input). */
export function eventColumnsSql(type: EventType): string {
  const { topic, schemaVersion } = EventCatalogue[type];
  return `'${type}', ${schemaVersion}, '${topic}'`;
}

/**
 * Records one event in the caller's transaction. `key` is the conversation id
 * (the user id for user events): the Kafka key, so one key's events keep their order.
 */
export async function recordEvent<T extends EventType>(tx: Sql, type: T, key: string, payload: EventPayload<T>): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (event_id, type, schema_version, topic, key, payload)
     VALUES (gen_random_uuid(), ${eventColumnsSql(type)}, $1, $2::jsonb)`,
    [key, JSON.stringify(payload)],
  );
}

/**
 * The outbox insert of a send batch, as one more CTE of the writer's
 * statement (no round trip of its own): a `message.created` row per stored
 * message, from the CTEs `ins` (the inserted rows) and `fresh` (the sends).
 * Inserted in arrival order, after the counters' row locks are taken, so one
 * conversation's events get outbox ids in seq order.
 */
export const messageCreatedOutboxSql = `
  INSERT INTO outbox (event_id, type, schema_version, topic, key, occurred_at, payload)
  SELECT gen_random_uuid(), ${eventColumnsSql('message.created')}, f.conversation_id, ins.created_at,
         jsonb_build_object('conversation_id', f.conversation_id, 'seq', ins.seq, 'message_id', ins.id,
                            'sender_id', f.sender_id, 'message', f.content::jsonb - 'mentions',
                            'created_at', ${isoSql('ins.created_at')})
         -- mentions (#15) travel beside the message, as the server resolved them
         || CASE WHEN f.content::jsonb ? 'mentions' THEN jsonb_build_object('mentions', f.content::jsonb->'mentions') ELSE '{}'::jsonb END
    FROM ins JOIN fresh f ON f.id = ins.id
   ORDER BY f.ord`;
