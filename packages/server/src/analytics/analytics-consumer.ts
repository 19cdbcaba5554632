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

  async handle(event: EventEnvelope, tx: Sql): Promise<void> {
    const day = event.occurred_at.slice(0, 10);
    const add = (metric: string, value: number) =>
      tx.query(
        `INSERT INTO analytics_daily (day, metric, value) VALUES ($1::date, $2, $3)
         ON CONFLICT (day, metric) DO UPDATE SET value = analytics_daily.value + EXCLUDED.value`,
        [day, metric, value],
      );
    switch (event.type) {
      case 'message.created': {
        const p = event.payload as EventPayload<'message.created'>;
        const [conversation] = await tx.query<{ type: string }>('SELECT type FROM conversations WHERE id = $1', [p.conversation_id]);
        await add(`messages.${conversation?.type ?? 'unknown'}`, 1);
        const fresh = await tx.query(
          'INSERT INTO analytics_active_users (day, user_id) VALUES ($1::date, $2) ON CONFLICT DO NOTHING RETURNING 1',
          [day, p.sender_id],
        );
        if (fresh.length > 0) await add('active_users', 1);
        return;
      }
      case 'user.registered':
        await add('new_users', 1);
        return;
      case 'call.ended': {
        const p = event.payload as EventPayload<'call.ended'>;
        // Every ended call counts; only answered ones have minutes.
        await add('calls', 1);
        if (p.duration_ms > 0) await add('call_ms', p.duration_ms);
        return;
      }
      default:
        return;
    }
  }
}
