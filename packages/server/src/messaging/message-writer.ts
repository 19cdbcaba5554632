import type { ConversationId, MessageContent, MessageView, UserId } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { toMessageView, type EntryRow } from './log-repo.ts';

export interface WriteResult {
  entry: MessageView;
  /** True when the `client_msg_id` had been stored before: `entry` is the original. */
  duplicate: boolean;
  /** Who to tell: the member ids, or null for a large room (publish on its room channel). */
  audience: UserId[] | null;
}

interface Pending {
  conversationId: ConversationId;
  senderId: UserId;
  content: MessageContent;
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

/** A concurrent transaction stored one of the batch's client_msg_ids first: redo the batch. */
class LostRace extends Error {}
const MAX_ATTEMPTS = 3;

/**
 * Group commit for sends. Sends that arrive while a batch is being written
 * wait and go together in the next one: one transaction, a handful of
 * statements and one WAL flush for the whole batch instead of per message.
 * Under light load a batch is a single send, so nothing waits for a timer.
 *
 * Per conversation, seqs are assigned in arrival order from the row-locked
 * counter (rows locked in id order, so concurrent batches cannot deadlock);
 * a send is resolved, and so acked, only after its batch commits.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private writing = 0;

  constructor(
    private readonly db: Database,
    private readonly options: { maxBatch: number; concurrency: number; largeRoomThreshold: number },
  ) {}

  write(conversationId: ConversationId, senderId: UserId, content: MessageContent): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ conversationId, senderId, content, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < this.options.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.writing++;
      void this.writeBatch(batch).finally(() => {
        this.writing--;
        this.pump();
      });
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.db.transaction((tx) => this.store(tx, batch));
        batch.forEach((p, i) => {
          const r = results[i]!;
          if (r instanceof Error) p.reject(r);
          else p.resolve(r);
        });
        return;
      } catch (err) {
        if (err instanceof LostRace && attempt < MAX_ATTEMPTS) continue;
        for (const p of batch) p.reject(err);
        return;
      }
    }
  }

  /** Stores the batch in one transaction; returns a result or an error per send, in order. */
  private async store(tx: Sql, batch: Pending[]): Promise<Array<WriteResult | Error>> {
    const key = (p: Pending) => `${p.conversationId}|${p.senderId}|${p.content.client_msg_id}`;
    // Membership of each sender, and any entry already stored under its client_msg_id.
    const lookup = await tx.query<{ ord: number; member: boolean } & Partial<EntryRow>>(
      `SELECT i.ord::int AS ord, cm.user_id IS NOT NULL AS member,
              m.id, m.conversation_id, m.seq, m.sender_id, m.content, m.created_at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS i(conversation_id, sender_id, client_msg_id, ord)
         LEFT JOIN conversation_members cm ON cm.conversation_id = i.conversation_id AND cm.user_id = i.sender_id
         LEFT JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                             AND m.client_msg_id = i.client_msg_id
        ORDER BY i.ord`,
      [batch.map((p) => p.conversationId), batch.map((p) => p.senderId), batch.map((p) => p.content.client_msg_id)],
    );
    const results: Array<WriteResult | Error | undefined> = new Array(batch.length);
    const fresh: number[] = [];
    const firstOfKey = new Map<string, number>();
    for (const row of lookup) {
      const i = row.ord - 1;
      if (!row.member) results[i] = notFound();
      else if (row.id) results[i] = { entry: toMessageView(row as EntryRow), duplicate: true, audience: null };
      else if (firstOfKey.has(key(batch[i]!))) continue; // a retry within the batch: resolved below
      else {
        firstOfKey.set(key(batch[i]!), i);
        fresh.push(i);
      }
    }

    if (fresh.length > 0) {
      // Seqs: lock the counters in id order, then take a block per conversation.
      const perConversation = new Map<ConversationId, number>();
      for (const i of fresh) perConversation.set(batch[i]!.conversationId, (perConversation.get(batch[i]!.conversationId) ?? 0) + 1);
      const ids = [...perConversation.keys()].sort();
      // The sub-select takes the row locks in id order, so batches of several
      // instances cannot deadlock on each other.
      const counters = await tx.query<{ id: string; last_seq: number; member_count: number }>(
        `UPDATE conversations c SET last_seq = c.last_seq + v.n
           FROM unnest($1::uuid[], $2::int[]) AS v(id, n)
          WHERE c.id = v.id
            AND c.id IN (SELECT id FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
         RETURNING c.id, c.last_seq, c.member_count`,
        [ids, ids.map((id) => perConversation.get(id)!)],
      );
      const next = new Map(counters.map((c) => [c.id, c.last_seq - perConversation.get(c.id)! + 1]));
      const seqs = fresh.map((i) => {
        const id = batch[i]!.conversationId;
        const seq = next.get(id)!;
        next.set(id, seq + 1);
        return seq;
      });
      const messageIds = fresh.map(() => crypto.randomUUID());
      // Insert, and move each sender's cursors to what they sent (they have seen it).
      const inserted = await tx.query<{ id: string; created_at: Date }>(
        `WITH ins AS (
           INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content)
           SELECT v.id, v.conversation_id, v.seq, v.sender_id, 'message', v.client_msg_id, v.content::jsonb
             FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::text[])
                  AS v(id, conversation_id, seq, sender_id, client_msg_id, content)
           ON CONFLICT DO NOTHING
           RETURNING id, conversation_id, seq, sender_id, created_at
         ), cursors AS (
           UPDATE conversation_members cm
              SET delivered_seq = GREATEST(cm.delivered_seq, s.seq), read_seq = GREATEST(cm.read_seq, s.seq)
             FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM ins GROUP BY conversation_id, sender_id) s
            WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id
         )
         SELECT id, created_at FROM ins`,
        [
          messageIds,
          fresh.map((i) => batch[i]!.conversationId),
          seqs,
          fresh.map((i) => batch[i]!.senderId),
          fresh.map((i) => batch[i]!.content.client_msg_id),
          fresh.map((i) => JSON.stringify({ ...batch[i]!.content, attachments: batch[i]!.content.attachments ?? [] })),
        ],
      );
      // A concurrent transaction committed one of these client_msg_ids: the seqs
      // taken above would leave a hole, so roll back and redo the batch.
      if (inserted.length !== fresh.length) throw new LostRace();
      const createdAt = new Map(inserted.map((r) => [r.id, r.created_at]));

      const small = counters.filter((c) => c.member_count < this.options.largeRoomThreshold).map((c) => c.id);
      const members = new Map<ConversationId, UserId[]>();
      if (small.length > 0) {
        const rows = await tx.query<{ conversation_id: string; user_id: string }>(
          'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id = ANY($1::uuid[])',
          [small],
        );
        for (const r of rows) {
          let list = members.get(r.conversation_id);
          if (!list) members.set(r.conversation_id, (list = []));
          list.push(r.user_id);
        }
      }
      fresh.forEach((i, k) => {
        const p = batch[i]!;
        results[i] = {
          entry: {
            conversation_id: p.conversationId,
            seq: seqs[k]!,
            message_id: messageIds[k]!,
            sender_id: p.senderId,
            message: { ...p.content, attachments: p.content.attachments ?? [] },
            created_at: createdAt.get(messageIds[k]!)!.toISOString(),
          },
          duplicate: false,
          audience: members.get(p.conversationId) ?? null,
        };
      });
    }

    // Retries of a send stored in this same batch answer with its result.
    return batch.map((p, i) => {
      const result = results[i];
      if (result) return result;
      const original = results[firstOfKey.get(key(p))!] as WriteResult;
      return { ...original, duplicate: true };
    });
  }
}
