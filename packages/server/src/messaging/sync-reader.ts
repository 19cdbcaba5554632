import type { ConversationId, MessageView, Seq, UserId } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { ENTRY_VIEW_COLUMNS, toMessageView, type EntryRow } from './log-repo.ts';
import { BatchQueue } from './batch-queue.ts';

export interface SyncResult {
  entries: MessageView[];
  cursors: Record<ConversationId, Seq>;
  limited: boolean;
  removed: ConversationId[];
}

interface SyncRequest {
  userId: UserId;
  cursors: Record<ConversationId, Seq>;
  pageSize: number;
}

/**
 * Catch-up reads, batched like sends (a BatchQueue). Syncs that arrive while
 * a batch is being read go together in the next one: one query for every caller's
 * membership and log heads, one for the pages — and a page that several
 * callers need (the members of a group resuming from the same cursor after a
 * restart) is read once and its entries shared. A batch only starts after
 * its syncs arrived, so each caller sees everything committed before its
 * request, as a sync of its own would.
 */
export class SyncReader {
  private readonly batches: BatchQueue<SyncRequest, SyncResult>;

  constructor(
    private readonly db: Database,
    maxBatch: number,
  ) {
    this.batches = new BatchQueue((batch: SyncRequest[]) => this.readBatch(batch), maxBatch);
  }

  read(userId: UserId, cursors: Record<ConversationId, Seq>, pageSize: number): Promise<SyncResult> {
    if (Object.keys(cursors).length === 0) return Promise.resolve({ entries: [], cursors: {}, limited: false, removed: [] });
    return this.batches.add({ userId, cursors, pageSize });
  }

  private async readBatch(batch: SyncRequest[]): Promise<SyncResult[]> {
    // Each caller's membership in each conversation it names, with the log's head.
    const asks = batch.flatMap((p, i) => Object.keys(p.cursors).map((id) => ({ i, id, userId: p.userId })));
    const heads = await this.db.query<{ ord: number; last_seq: number }>(
      `SELECT a.ord::int AS ord, c.last_seq
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS a(user_id, conversation_id, ord)
         JOIN conversation_members cm ON cm.conversation_id = a.conversation_id AND cm.user_id = a.user_id
         JOIN conversations c ON c.id = a.conversation_id`,
      [asks.map((a) => a.userId), asks.map((a) => a.id)],
    );
    const headOf = new Map(heads.map((h) => [h.ord - 1, h.last_seq]));

    // The distinct pages the members need: (conversation, cursor, size) behind the head.
    const pageKey = (id: string, after: number, size: number) => `${id}|${after}|${size}`;
    const wanted = new Map<string, { id: string; after: number; size: number }>();
    asks.forEach((a, k) => {
      const head = headOf.get(k);
      const after = batch[a.i]!.cursors[a.id]!;
      const size = batch[a.i]!.pageSize;
      if (head !== undefined && after < head) wanted.set(pageKey(a.id, after, size), { id: a.id, after, size });
    });
    const pages = new Map<string, MessageView[]>();
    if (wanted.size > 0) {
      const list = [...wanted.values()];
      const rows = await this.db.query<{ k: number } & EntryRow>(
        `SELECT p.k::int AS k, e.*
           FROM unnest($1::uuid[], $2::int[], $3::int[]) WITH ORDINALITY AS p(conversation_id, after, size, k)
           CROSS JOIN LATERAL (
             SELECT ${ENTRY_VIEW_COLUMNS} FROM messages m
              WHERE m.conversation_id = p.conversation_id AND m.seq > p.after
              ORDER BY m.seq LIMIT p.size
           ) e
          ORDER BY p.k, e.seq`,
        [list.map((p) => p.id), list.map((p) => p.after), list.map((p) => p.size)],
      );
      list.forEach((p) => pages.set(pageKey(p.id, p.after, p.size), []));
      for (const row of rows) {
        const p = list[row.k - 1]!;
        pages.get(pageKey(p.id, p.after, p.size))!.push(toMessageView(row));
      }
    }

    const results: SyncResult[] = batch.map(() => ({ entries: [], cursors: {}, limited: false, removed: [] }));
    asks.forEach((a, k) => {
      const result = results[a.i]!;
      const head = headOf.get(k);
      // Conversations the caller is not (or no longer) a member of are named in
      // `removed`, identically whether they exist or not.
      if (head === undefined) {
        result.removed.push(a.id);
        return;
      }
      const after = batch[a.i]!.cursors[a.id]!;
      const page = after < head ? pages.get(pageKey(a.id, after, batch[a.i]!.pageSize))! : [];
      result.entries.push(...page);
      const next = page.length > 0 ? page[page.length - 1]!.seq : after;
      result.cursors[a.id] = next;
      if (next < head) result.limited = true;
    });
    return results;
  }
}
