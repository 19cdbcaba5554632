import { createHash } from 'node:crypto';
import { REPLY_EXCERPT_LENGTH, type ConversationId, type MessageContent, type MessageView, type ReplyQuote, type UserId } from '@parley/protocol';
import { AppError } from '../errors.ts';
import { isUniqueViolation, type Database, type SqlParam } from '../store/database.ts';
import { DatabaseError } from '../store/database-error.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { toMessageView, type EntryRow } from './log-repo.ts';
import { BatchQueue } from './batch-queue.ts';
import { messageCreatedOutboxSql } from '../events/outbox.ts';

export interface WriteResult {
  entry: MessageView;
  /** True when the `client_msg_id` had been stored before: `entry` is the original. */
  duplicate: boolean;
  /** Who to tell: the member ids, or null for a large room (publish on its room channel). */
  audience: UserId[] | null;
}

interface Send {
  conversationId: ConversationId;
  senderId: UserId;
  content: MessageContent;
  /** performance.now() when the send reached the writer. */
  queuedAt: number;
}

/**
 * Told of each batch the writer ran: how long each of its sends waited for
 * the batch to start, and how long the batch took to store (its statement,
 * with any retry or split), in seconds.
 */
export type BatchObserver = (waits: readonly number[], storeSeconds: number) => void;

const MAX_ATTEMPTS = 3;

/**
 * Group commit for sends (a BatchQueue per lane): sends that arrive while a
 * batch is being written go together in the next one, one statement (its own
 * transaction), so one round trip and one WAL flush for the whole batch
 * instead of per message.
 *
 * Conversations are spread over `lanes`, each writing one batch at a time:
 * batches of different lanes touch different conversations, so they run side
 * by side on the database without waiting for each other's row locks, while
 * one conversation's sends stay in one lane and take their seqs in arrival
 * order. Within a lane, up to `batchesPerLane` batches run at once when they
 * share no conversation (BatchQueue keyed by conversation): at light load a
 * send starts at once instead of waiting for another conversation's commit,
 * while one conversation's batches still run one at a time, in order. A send
 * is resolved, and so acked, only after its batch commits.
 */
export class MessageWriter {
  private readonly lanes: Array<BatchQueue<Send, WriteResult>>;
  private readonly statement: string;
  /** The statement for a batch holding a reply (it also stores reply_to_seq); plain batches keep the one above. */
  private readonly replyStatement: string;

  constructor(
    private readonly db: Database,
    private readonly options: {
      maxBatch: number;
      lanes: number;
      /** Batches of different conversations one lane may run at once (1: strictly one at a time). */
      batchesPerLane?: number;
      largeRoomThreshold: number;
      /** Write a `message.created` outbox row per stored message (off only to measure its cost). */
      outbox: boolean;
      /** Metrics of the batches (parley_message_write_*). */
      onBatch?: BatchObserver;
    },
  ) {
    this.statement = options.outbox ? WRITE_BATCH_WITH_OUTBOX : WRITE_BATCH;
    this.replyStatement = withReplies(this.statement);
    this.lanes = Array.from(
      { length: options.lanes },
      () => new BatchQueue((batch: Send[]) => this.runBatch(batch), options.maxBatch, { concurrency: options.batchesPerLane ?? 1, keyOf: (s) => s.conversationId }),
    );
  }

  write(conversationId: ConversationId, senderId: UserId, content: MessageContent): Promise<WriteResult> {
    return this.lanes[laneOf(conversationId, this.lanes.length)]!.add({ conversationId, senderId, content, queuedAt: performance.now() });
  }

  /** A lane's batch: stored, and observed (the waits before it, the time it took) whether it succeeded or not. */
  private async runBatch(batch: Send[]): Promise<Array<WriteResult | Error>> {
    const onBatch = this.options.onBatch;
    if (!onBatch) return this.writeBatch(batch);
    const started = performance.now();
    try {
      return await this.writeBatch(batch);
    } finally {
      onBatch(
        batch.map((s) => (started - s.queuedAt) / 1000),
        (performance.now() - started) / 1000,
      );
    }
  }

  private async writeBatch(batch: Send[]): Promise<Array<WriteResult | Error>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store(batch);
      } catch (err) {
        // Another instance committed one of these client_msg_ids after this
        // statement's snapshot: the statement rolled back whole (no seq was
        // taken), and the retry finds the original.
        if (isUniqueViolation(err, 'messages_client_msg_id_key') && attempt < MAX_ATTEMPTS) continue;
        // Bad data (SQLSTATE class 22, 23) is a send's own fault: find it. Anything
        // else (a lost connection) would fail every part alike: refuse the batch.
        if (batch.length === 1 || !(err instanceof DatabaseError && /^2[23]/.test(err.code))) throw err;
        return this.isolate(batch);
      }
    }
  }

  /**
   * The batch's statement failed and rolled back whole (no seq taken). One
   * bad send must not fail the innocent ones batched with it, so the batch is
   * written again in halves, in order (a conversation's sends keep their
   * order), down to the send that fails alone: log2(batch) extra statements
   * for one bad send.
   */
  private async isolate(batch: Send[]): Promise<Array<WriteResult | Error>> {
    const middle = Math.ceil(batch.length / 2);
    const halves = [batch.slice(0, middle), batch.slice(middle)];
    const results: Array<WriteResult | Error> = [];
    for (const half of halves) {
      try {
        results.push(...(await this.writeBatch(half)));
      } catch (err) {
        results.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return results;
  }

  /**
   * Stores the batch with one statement, which is its own transaction: one
   * round trip and one commit whatever the batch size. Returns a result or an
   * error per send, in order.
   */
  private async store(all: Send[]): Promise<Array<WriteResult | Error>> {
    const hasReplies = all.some((p) => p.content.reply_to !== undefined);
    // Replies naming a message that is not there (or deleted) are refused before the statement.
    const resolved = hasReplies ? await this.resolveReplies(all) : null;
    const quotes = resolved?.quotes ?? null;
    if (quotes?.some((q) => q instanceof Error)) {
      const kept = all.filter((_, i) => !(quotes[i] instanceof Error));
      const results = kept.length > 0 ? await this.store(kept) : [];
      return all.map((_, i) => (quotes[i] instanceof Error ? quotes[i] : results.shift()!));
    }
    const batch = all;
    // The sends travel as one JSON array of rows (see WRITE_BATCH for why not as arrays).
    const input = batch.map((p, i): InputRow => ({
      id: crypto.randomUUID(),
      conversation_id: p.conversationId,
      sender_id: p.senderId,
      client_msg_id: p.content.client_msg_id,
      content: { ...p.content, attachments: p.content.attachments ?? [] },
      ...(quotes ? { reply_to_seq: quotes[i] instanceof Error ? null : (quotes[i]?.seq ?? null), thread_root_seq: resolved!.threadRoots[i] ?? null } : {}),
    }));
    const params: SqlParam[] = [JSON.stringify(input), this.options.largeRoomThreshold, INPUT_LIMIT];
    const text = quotes ? this.replyStatement : this.statement;
    // Prepared once per connection: the statement is parsed (and, once PostgreSQL settles on a generic plan, planned) once, not per batch.
    const rows = await this.db.query<BatchRow>(text, params, { name: statementName(text) });
    const audiences = new Map<ConversationId, UserId[]>();
    for (const row of rows) if (row.audience) audiences.set(row.conversation_id, row.audience);
    const results: Array<WriteResult | Error> = new Array(batch.length);
    const byKey = new Map<string, WriteResult>();
    const key = (p: Send) => `${p.conversationId}|${p.senderId}|${p.content.client_msg_id}`;
    for (const row of rows) {
      const i = row.ord - 1;
      if (!row.member) results[i] = notFound();
      else if (row.seq === null) continue; // a retry of a send earlier in this batch: resolved below
      else {
        const p = batch[i]!;
        const result: WriteResult = row.fresh
          ? {
              // The content went in as sent: no need to read it back.
              entry: toMessageView({
                ...row,
                seq: row.seq,
                content: { ...p.content, attachments: p.content.attachments ?? [] },
                reply_to: quotes?.[i] instanceof Error ? null : (quotes?.[i] ?? null),
                thread_root_seq: resolved?.threadRoots[i] ?? null,
              }),
              duplicate: false,
              audience: audiences.get(row.conversation_id) ?? null,
            }
          : { entry: toMessageView({ ...row, seq: row.seq, content: row.content! }), duplicate: true, audience: null };
        results[i] = result;
        byKey.set(key(p), result);
      }
    }
    // Retries of a send stored in this same batch answer with its result.
    return batch.map((p, i) => results[i] ?? { ...byKey.get(key(p))!, duplicate: true });
  }

  /**
   * The messages the batch's replies name (by seq or id), as each reply will
   * quote them; an error for a reply naming no message of the conversation
   * (`message_not_found`: unknown, or a system or change entry) or a deleted one;
   * null for a plain send, and for a sender who is not a member (the statement
   * refuses those as it refuses any send, telling nothing about the log).
   * `threadRoots`: the thread each reply joins (#15): the thread of the message
   * it replies to when that one is in a thread, else that message itself when
   * the reply asks for a thread (`thread: true`), else none.
   */
  private async resolveReplies(batch: Send[]): Promise<{ quotes: Array<ReplyQuote | Error | null>; threadRoots: Array<number | null> }> {
    const rows = await this.db.query<{
      ord: number;
      member: boolean;
      seq: number | null;
      id: string | null;
      sender_id: string | null;
      kind: string | null;
      deleted: boolean | null;
      text: string | null;
      thread_root_seq: number | null;
    }>(
      `SELECT a.ord::int AS ord, cm.user_id IS NOT NULL AS member, r.seq, r.id, r.sender_id, r.kind, r.thread_root_seq,
              r.deleted_at IS NOT NULL AS deleted,
              CASE WHEN r.hidden_at IS NULL THEN left(r.content->>'text', ${REPLY_EXCERPT_LENGTH}) END AS text
         FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[]) WITH ORDINALITY AS a(conversation_id, sender_id, seq, id, ord)
         LEFT JOIN conversation_members cm ON cm.conversation_id = a.conversation_id AND cm.user_id = a.sender_id
         LEFT JOIN LATERAL (
           SELECT * FROM messages r WHERE r.conversation_id = a.conversation_id AND r.seq = a.seq
           UNION ALL
           SELECT * FROM messages r WHERE r.conversation_id = a.conversation_id AND r.id = a.id
         ) r ON true
        WHERE a.seq IS NOT NULL OR a.id IS NOT NULL`,
      [
        batch.map((p) => p.conversationId),
        batch.map((p) => p.senderId),
        batch.map((p) => (typeof p.content.reply_to === 'number' ? p.content.reply_to : null)),
        batch.map((p) => (typeof p.content.reply_to === 'string' ? p.content.reply_to : null)),
      ],
    );
    const quotes: Array<ReplyQuote | Error | null> = batch.map(() => null);
    const threadRoots: Array<number | null> = batch.map(() => null);
    for (const row of rows) {
      const i = row.ord - 1;
      if (!row.member) continue;
      if (row.id === null || row.kind !== 'message') quotes[i] = new AppError('message_not_found', 'reply_to names no message of this conversation');
      else if (row.deleted) quotes[i] = new AppError('message_deleted', 'the message replied to was deleted');
      else {
        quotes[i] = { seq: row.seq!, message_id: row.id, sender_id: row.sender_id!, text: row.text };
        threadRoots[i] = row.thread_root_seq ?? (batch[i]!.content.thread === true ? row.seq : null);
      }
    }
    return { quotes, threadRoots };
  }
}

const names = new Map<string, string>();
/** A prepared statement's name, unique to its text (the writer's statements vary with the outbox and replies). */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `parley_write_batch_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`));
  return name;
}

/** A stable lane for a conversation id (a UUID: its last hex digits are random). */
function laneOf(conversationId: ConversationId, lanes: number): number {
  return lanes === 1 ? 0 : parseInt(conversationId.slice(-4), 16) % lanes;
}

/** One send as the statement reads it (jsonb_to_recordset's columns). */
interface InputRow {
  id: string;
  conversation_id: ConversationId;
  sender_id: UserId;
  client_msg_id: string;
  content: MessageContent;
  reply_to_seq?: number | null;
  thread_root_seq?: number | null;
}

type BatchRow = { ord: number; member: boolean; fresh: boolean; audience: UserId[] | null } & Omit<EntryRow, 'seq' | 'content'> & {
  /** Null for a repeat within the batch (and for a non-member). */
  seq: number | null;
  /** The original's content, for a send stored before; null for a fresh one. */
  content: EntryRow['content'] | null;
};

/** $3 of WRITE_BATCH: LIMITs that are a Param only so that its generic plan estimates one input row. */
const INPUT_LIMIT = 1_000_000;

/**
 * One batch of sends: $1 the sends as a JSON array of rows (InputRow: message
 * id, conversation, sender, client_msg_id, content), $2 the large-room
 * threshold, $3 INPUT_LIMIT (far above any batch: it cuts nothing).
 *
 * Planned once per connection, not per batch. The statement is prepared, and
 * PostgreSQL plans a prepared statement afresh at each execution (a "custom
 * plan") for as long as that looks cheaper than its cached generic plan. With
 * one array per column (`unnest($1::uuid[], …)`, before), the input's row
 * estimate was the array's length in a custom plan but 10 in the generic one,
 * so for the one- or two-send batches of light load a custom plan always
 * looked cheaper and every batch was planned again: half of PostgreSQL's CPU
 * for a one-send batch (perf on the backend; `npm run bench:direct-statement`).
 * Now a custom plan estimates jsonb_to_recordset's declared 100 rows, while the
 * generic plan reads each Param LIMIT as 10 % of the rows below it (100 → 10
 * → 1): the generic plan looks cheaper from the sixth execution on and is
 * kept. One input row is also the estimate that keeps the generic plan on
 * keyed index lookups whatever the tables' statistics were when it was made
 * (ten made it hash a whole table when made on the nearly empty tables of a
 * new database, and it stays until the next ANALYZE).
 *
 * - `checked`: membership of each sender, any entry already stored under its
 *   client_msg_id, and whether an earlier send of this batch has the same key;
 * - `fresh`: the sends to store, numbered per conversation in arrival order;
 * - `bumped`: the counters, locked in id order (concurrent batches of several
 *   instances cannot deadlock) and moved by the number of fresh sends;
 * - `ins`: the entries, seqs taken as a dense block from each counter;
 * - `cursors`: each sender's delivered/read cursor moves to what they sent;
 * - `events` (WRITE_BATCH_WITH_OUTBOX): a `message.created` outbox row per
 *   entry inserted, committed or rolled back with it;
 * - one row per send: the stored entry (fresh or original), or `member`
 *   false, or no seq for a repeat within the batch; the first fresh row of a
 *   small conversation carries its members (who to tell).
 *
 * A unique violation on client_msg_id (a concurrent commit of the same send)
 * aborts the whole statement, counters included, so seqs stay dense.
 */
const WRITE_BATCH = `
WITH input AS (
  SELECT * FROM (
    SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, conversation_id uuid, sender_id uuid, client_msg_id text, content jsonb))
      WITH ORDINALITY AS i(id, conversation_id, sender_id, client_msg_id, content, ord)
     LIMIT $3) i
   LIMIT $3
), checked AS (
  SELECT i.*, cm.user_id IS NOT NULL AS member,
         m.id AS old_id, m.seq AS old_seq, m.content AS old_content, m.created_at AS old_created_at,
         row_number() OVER (PARTITION BY i.conversation_id, i.sender_id, i.client_msg_id ORDER BY i.ord) AS nth
    FROM input i
    LEFT JOIN conversation_members cm ON cm.conversation_id = i.conversation_id AND cm.user_id = i.sender_id
    LEFT JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_id = i.sender_id
                        AND m.client_msg_id = i.client_msg_id
), fresh AS (
  SELECT c.*, row_number() OVER (PARTITION BY c.conversation_id ORDER BY c.ord) AS k,
         count(*) OVER (PARTITION BY c.conversation_id) AS n
    FROM checked c WHERE c.member AND c.old_id IS NULL AND c.nth = 1
), bumped AS (
  UPDATE conversations c SET last_seq = c.last_seq + f.n
    FROM (SELECT DISTINCT conversation_id, n FROM fresh) f
   WHERE c.id = f.conversation_id
     AND c.id IN (SELECT id FROM conversations WHERE id IN (SELECT conversation_id FROM fresh) ORDER BY id FOR UPDATE)
  RETURNING c.id, c.last_seq - f.n AS base, c.member_count
), ins AS (
  INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content)
  SELECT f.id, f.conversation_id, b.base + f.k, f.sender_id, 'message', f.client_msg_id, f.content
    FROM fresh f JOIN bumped b ON b.id = f.conversation_id
  RETURNING id, seq, created_at
), cursors AS (
  UPDATE conversation_members cm
     SET delivered_seq = GREATEST(cm.delivered_seq, s.seq), read_seq = GREATEST(cm.read_seq, s.seq)
    FROM (SELECT f.conversation_id, f.sender_id, max(ins.seq) AS seq
            FROM ins JOIN fresh f ON f.id = ins.id GROUP BY f.conversation_id, f.sender_id) s
   WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id
)/*events*/
SELECT c.ord::int AS ord, c.member, ins.id IS NOT NULL AS fresh, c.conversation_id, c.sender_id,
       COALESCE(ins.id, c.old_id) AS id, COALESCE(ins.seq, c.old_seq) AS seq,
       c.old_content AS content, COALESCE(ins.created_at, c.old_created_at) AS created_at,
       CASE WHEN f.k = 1 AND b.member_count < $2 THEN
         (SELECT array_agg(a.user_id::text) FROM conversation_members a WHERE a.conversation_id = c.conversation_id)
       END AS audience
  FROM checked c
  LEFT JOIN ins ON ins.id = c.id
  LEFT JOIN fresh f ON f.id = c.id
  LEFT JOIN bumped b ON b.id = c.conversation_id
 ORDER BY c.ord`;

/**
 * The statement, also storing each send's reply_to_seq and thread root
 * (input columns, both resolved by resolveReplies), and moving the summary of each thread
 * a reply joined (`threads`: its reply count and newest reply) in the same
 * statement, so a root's counts commit with its replies. Plain batches keep
 * the statement above.
 */
function withReplies(statement: string): string {
  const replaced = statement
    .replace(
      'client_msg_id text, content jsonb))\n      WITH ORDINALITY AS i(id, conversation_id, sender_id, client_msg_id, content, ord)',
      'client_msg_id text, content jsonb, reply_to_seq int, thread_root_seq int))\n      WITH ORDINALITY AS i(id, conversation_id, sender_id, client_msg_id, content, reply_to_seq, thread_root_seq, ord)',
    )
    .replace(
      "INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content)\n  SELECT f.id, f.conversation_id, b.base + f.k, f.sender_id, 'message', f.client_msg_id, f.content\n",
      "INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content, reply_to_seq, thread_root_seq)\n  SELECT f.id, f.conversation_id, b.base + f.k, f.sender_id, 'message', f.client_msg_id, f.content, f.reply_to_seq, f.thread_root_seq\n",
    )
    .replace(
      'WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id\n)',
      `WHERE cm.conversation_id = s.conversation_id AND cm.user_id = s.sender_id
), threads AS (
  UPDATE messages r SET thread_reply_count = r.thread_reply_count + t.n, thread_last_seq = GREATEST(COALESCE(r.thread_last_seq, 0), t.last)
    FROM (SELECT f.conversation_id, f.thread_root_seq, count(*)::int AS n, max(ins.seq) AS last
            FROM ins JOIN fresh f ON f.id = ins.id WHERE f.thread_root_seq IS NOT NULL
           GROUP BY f.conversation_id, f.thread_root_seq) t
   WHERE r.conversation_id = t.conversation_id AND r.seq = t.thread_root_seq
)`,
    );
  if (replaced.split('reply_to_seq').length !== 5 || replaced.split('thread_root_seq').length !== 9) {
    throw new Error('the write statement changed: update withReplies');
  }
  return replaced;
}

const WRITE_BATCH_WITH_OUTBOX = WRITE_BATCH.replace('/*events*/', `, events AS (${messageCreatedOutboxSql}
)`);
