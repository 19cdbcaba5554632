import type { EventEnvelope, EventPayload } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import type { EventConsumer } from '../consumers/event-consumer.ts';

/**
 * Daily aggregates (UTC days of each event's `occurred_at`) in
 * `analytics_daily`: messages per conversation kind, active users (distinct
 * senders), new users, calls and their duration. Counted in the transaction
 * that marks the event handled, so a repeated event counts once.
 */
export class AnalyticsConsumer implements EventConsumer {
  readonly name = 'analytics';
  readonly topics = ['messages', 'users', 'calls'] as const;

  handle(event: EventEnvelope, tx: Sql): Promise<void> {
    return this.handleBatch([event], tx);
  }

  /**
   * A relay batch in one statement, whatever its size: the same totals as
   * its events one by one. Messages are counted by the kind of their
   * conversation; a sender counts as active once per day (the rows of
   * `analytics_active_users` the batch adds); the other metrics are summed here.
   */
  async handleBatch(events: readonly EventEnvelope[], tx: Sql): Promise<void> {
    const messages: { day: string; conversationId: string; senderId: string }[] = [];
    const sums = new Map<string, { day: string; metric: string; value: number }>();
    const add = (day: string, metric: string, value: number) => {
      const key = `${day} ${metric}`;
      const sum = sums.get(key);
      if (sum) sum.value += value;
      else sums.set(key, { day, metric, value });
    };
    for (const event of events) {
      const day = event.occurred_at.slice(0, 10);
      switch (event.type) {
        case 'message.created': {
          const p = event.payload as EventPayload<'message.created'>;
          messages.push({ day, conversationId: p.conversation_id, senderId: p.sender_id });
          break;
        }
        case 'user.registered':
          add(day, 'new_users', 1);
          break;
        case 'call.ended': {
          const p = event.payload as EventPayload<'call.ended'>;
          // Every ended call counts; only answered ones have minutes.
          add(day, 'calls', 1);
          if (p.duration_ms > 0) add(day, 'call_ms', p.duration_ms);
          break;
        }
        default:
          break;
      }
    }
    if (messages.length === 0 && sums.size === 0) return;
    const other = [...sums.values()];
    // Active users inserted in (day, user) order, and the deltas summed per (day, metric) and
    // written in that order, so concurrent batches (a Kafka feed's partitions) take the rows
    // they share (the hot daily ones above all) in one order and cannot deadlock.
    await tx.query(
      `WITH m AS (
         SELECT * FROM unnest($1::date[], $2::uuid[], $3::uuid[]) AS m(day, conversation_id, sender_id)
       ), fresh AS (
         INSERT INTO analytics_active_users (day, user_id) SELECT DISTINCT day, sender_id FROM m ORDER BY 1, 2
         ON CONFLICT DO NOTHING RETURNING day
       ), deltas (day, metric, value) AS (
         SELECT m.day, 'messages.' || coalesce(c.type, 'unknown'), count(*) FROM m LEFT JOIN conversations c ON c.id = m.conversation_id GROUP BY 1, 2
         UNION ALL SELECT day, 'active_users', count(*) FROM fresh GROUP BY day
         UNION ALL SELECT * FROM unnest($4::date[], $5::text[], $6::bigint[])
       )
       INSERT INTO analytics_daily (day, metric, value)
       SELECT day, metric, sum(value) FROM deltas GROUP BY day, metric ORDER BY day, metric
       ON CONFLICT (day, metric) DO UPDATE SET value = analytics_daily.value + EXCLUDED.value`,
      [
        messages.map((m) => m.day),
        messages.map((m) => m.conversationId),
        messages.map((m) => m.senderId),
        other.map((s) => s.day),
        other.map((s) => s.metric),
        other.map((s) => s.value),
      ],
    );
  }
}
