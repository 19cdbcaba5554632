import type { EventEnvelope, EventPayload } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import type { AfterCommit } from './message-moderator.ts';
import type { EventConsumer } from '../consumers/event-consumer.ts';
import type { ModerationService } from './moderation-service.ts';
import type { Classifier } from './classifier.ts';

/**
 * Applies the operators' rules to every `message.created`: words, regexes and
 * link domains on the text, the per-user rate rule on the sender's recent
 * messages, then the classifier. A hit hides the message and queues it for
 * review (`ModerationService.recordHit`), in the transaction that marks the
 * event handled, so a repeated event hides nothing twice; the hide entry is
 * pushed to the members once that transaction commits.
 */
export class ModerationConsumer implements EventConsumer {
  readonly name = 'moderation';
  readonly topics = ['messages'] as const;

  constructor(
    private readonly moderation: ModerationService,
    private readonly classifier: Classifier,
  ) {}

  async handle(event: EventEnvelope, tx: Sql, afterCommit: (task: AfterCommit) => void): Promise<void> {
    if (event.type !== 'message.created') return;
    const p = event.payload as EventPayload<'message.created'>;
    const text = typeof p.message?.text === 'string' ? p.message.text : '';
    const rules = await this.moderation.rules(tx);
    const hit = async (reason: string, ruleId: string | null) =>
      this.moderation.recordHit(tx, { conversationId: p.conversation_id, messageId: p.message_id, authorId: p.sender_id, reason, ruleId }, afterCommit);

    const textHit = rules.match(text);
    if (textHit) return hit(textHit.kind, textHit.ruleId);

    for (const rule of rules.rate) {
      // Messages the sender stored in the window ending at this one (its own time, not the consumer's:
      // a consumer catching up judges the burst as it happened).
      const [row] = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages
          WHERE sender_id = $1 AND kind = 'message'
            AND created_at > $2::timestamptz - make_interval(secs => $3::int) AND created_at <= $2::timestamptz`,
        [p.sender_id, p.created_at, rule.window_seconds!],
      );
      if ((row?.n ?? 0) > rule.max_messages!) return hit('rate', rule.id);
    }

    if (text.length > 0) {
      const verdict = await this.classifier.classify(text);
      if (verdict.flag) return hit('classifier', null);
    }
  }
}
