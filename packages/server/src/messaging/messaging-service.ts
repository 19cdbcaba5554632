import type {
  ConversationId,
  HistoryQuery,
  MessageContent,
  MessageView,
  ReceiptPushFrame,
  Seq,
  UserId,
} from '@parley/protocol';
import type { Database } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import { AppError } from '../errors.ts';
import { memberIds, roleOf } from '../conversations/conversations-repo.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { TypingThrottle } from './typing-throttle.ts';
import { readPage } from './log-repo.ts';
import { SyncReader, type SyncResult } from './sync-reader.ts';
import { MessageWriter, type BatchObserver } from './message-writer.ts';
import { resolveMentions } from './mentions.ts';
import type { AttachmentsService } from '../attachments/attachments-service.ts';

/** Seconds a `typing: start` lasts unless refreshed. */
export const TYPING_TTL_SECONDS = 6;
/** A user's `typing: start` in one conversation is relayed at most this often. */
export const TYPING_THROTTLE_MS = 2_000;
const DEFAULT_PAGE = 50;

export interface SendResult {
  entry: MessageView;
  /** True when the `client_msg_id` had been stored before: `entry` is the original. */
  duplicate: boolean;
}

/**
 * Sending, history, catch-up, receipts and typing. Sends are idempotent per
 * (conversation, sender, client_msg_id) and acknowledged only after commit.
 */
export class MessagingService {
  private readonly typingThrottle = new TypingThrottle(TYPING_THROTTLE_MS);
  private readonly writer: MessageWriter;
  private readonly reader: SyncReader;
  private readonly attachments: Pick<AttachmentsService, 'resolveForMessage' | 'linkToMessage'> | null;

  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
    options: {
      writeLanes: number;
      writeBatchesPerLane: number;
      events: { outbox: boolean };
      /** Metrics of the message writer's batches. */
      onBatch?: BatchObserver;
      /** Checks and links the uploads a message references; without it a message may reference none. */
      attachments?: Pick<AttachmentsService, 'resolveForMessage' | 'linkToMessage'>;
    },
    /** Throws when the sender may not send now (muted, banned: moderation/sanctions.ts); asked before every write. */
    private readonly maySend: (userId: UserId) => void = () => {},
    /** Told how many messages were stored (retries excluded), whichever edge they came through. */
    private readonly onStored: (count: number) => void = () => {},
  ) {
    this.attachments = options.attachments ?? null;
    // PGlite runs one statement at a time: one lane. On PostgreSQL, lanes let
    // batches of different conversations run on several backends at once.
    this.writer = new MessageWriter(db, {
      maxBatch: 512,
      lanes: db.kind === 'postgres' ? options.writeLanes : 1,
      // A lane may also run a few batches of different conversations at once (PostgreSQL only; the
      // default 1 keeps batches large, which costs the database less per message).
      batchesPerLane: db.kind === 'postgres' ? options.writeBatchesPerLane : 1,
      // The writer loads the members (who to tell) only for conversations the policy does not fan out as a room.
      largeRoomThreshold: notifier.policy.largeRoomThreshold,
      outbox: options.events.outbox,
      onBatch: options.onBatch,
    });
    this.reader = new SyncReader(db, 256);
  }

  /**
   * Stores a message (idempotently per sender and client_msg_id) and pushes it
   * to the members. Resolves after the commit: the caller may ack then.
   */
  async send(me: UserId, conversationId: ConversationId, message: MessageContent): Promise<SendResult> {
    this.maySend(me);
    const refs = message.attachments ?? [];
    if (refs.length > 0) {
      if (!this.attachments) throw new AppError('attachment_invalid', 'this server takes no attachments');
      // Only the sender's own uploads to this conversation, with the server's metadata in place of the client's.
      message = { ...message, attachments: await this.attachments.resolveForMessage(me, conversationId, refs) };
    }
    // Mentions cost a statement only when the text could hold one.
    if (message.text.includes('@')) {
      const mentions = await resolveMentions(this.db, me, conversationId, message.text);
      // Stored in the content beside the text (a client cannot send this key: MessageContent admits no other).
      if (mentions) message = { ...message, mentions } as MessageContent;
    }
    const { entry, duplicate, audience } = await this.writer.write(conversationId, me, message);
    if (!duplicate && refs.length > 0) await this.attachments!.linkToMessage(refs.map((r) => r.id), entry.message_id);
    if (!duplicate) {
      this.onStored(1);
      this.notifier.toConversation(conversationId, audience, { type: 'message', ...entry });
    }
    return { entry, duplicate };
  }

  /** A page of history: the newest `limit` entries below `before_seq`, or the oldest above `after_seq`. */
  async history(me: UserId, conversationId: ConversationId, query: HistoryQuery) {
    if (!(await roleOf(this.db, conversationId, me))) throw notFound();
    const limit = query.limit ?? DEFAULT_PAGE;
    // Without after_seq the page is the newest one (below before_seq when given).
    const newest = query.after_seq === undefined;
    const entries = await readPage(this.db, conversationId, {
      after: query.after_seq ?? 0,
      before: query.before_seq ?? null,
      limit: limit + 1,
      newest,
    });
    const hasMore = entries.length > limit;
    if (hasMore) {
      if (newest) entries.shift();
      else entries.pop();
    }
    return { messages: entries, has_more: hasMore };
  }

  /**
   * Replays what each listed conversation has past its cursor, at most
   * `pageSize` entries per conversation. `limited` means the client must sync
   * again from the returned cursors. Conversations that are not the caller's
   * are skipped and listed in `removed`.
   */
  sync(me: UserId, cursors: Record<ConversationId, Seq>, pageSize: number): Promise<SyncResult> {
    return this.reader.read(me, cursors, pageSize);
  }

  /**
   * Moves the caller's delivered (or read, which implies delivered) cursor
   * forward, never back and never past the log, and tells the members.
   */
  async receipt(me: UserId, conversationId: ConversationId, kind: 'delivered' | 'read', seq: Seq) {
    const rows = await this.db.query<{ delivered_seq: number; read_seq: number; changed: boolean }>(
      `WITH target AS (
         SELECT cm.delivered_seq AS old_delivered, cm.read_seq AS old_read, LEAST($3::int, c.last_seq) AS seq
           FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
          WHERE cm.conversation_id = $1 AND cm.user_id = $2
          FOR UPDATE OF cm
       )
       UPDATE conversation_members cm
          SET delivered_seq = GREATEST(t.old_delivered, t.seq),
              read_seq = CASE WHEN $4 THEN GREATEST(t.old_read, t.seq) ELSE t.old_read END
         FROM target t
        WHERE cm.conversation_id = $1 AND cm.user_id = $2
       RETURNING cm.delivered_seq, cm.read_seq,
                 (cm.delivered_seq <> t.old_delivered OR cm.read_seq <> t.old_read) AS changed`,
      [conversationId, me, seq, kind === 'read'],
    );
    const row = rows[0];
    if (!row) throw notFound();
    const frame: ReceiptPushFrame = {
      type: 'receipt',
      conversation_id: conversationId,
      user_id: me,
      delivered_seq: row.delivered_seq,
      read_seq: row.read_seq,
    };
    if (row.changed) this.notifier.toConversation(conversationId, await memberIds(this.db, conversationId), frame);
    return frame;
  }

  /**
   * Relays a typing signal to the other members (in a large room, to the room:
   * clients ignore their own). Nothing is stored. A `start` is relayed at most
   * once per throttle window per user and conversation on this instance; a
   * `stop` only after a relayed `start`. Receivers expire a `start` after
   * `expires_in` seconds unless it is refreshed.
   */
  async typing(me: UserId, conversationId: ConversationId, state: 'start' | 'stop'): Promise<void> {
    if (!this.typingThrottle.admit(`${me}:${conversationId}`, state)) return;
    const members = await memberIds(this.db, conversationId);
    if (!members.includes(me)) {
      this.typingThrottle.forget(`${me}:${conversationId}`);
      throw notFound();
    }
    this.notifier.toConversation(
      conversationId,
      members.filter((id) => id !== me),
      { type: 'typing', conversation_id: conversationId, user_id: me, state, expires_in: TYPING_TTL_SECONDS },
    );
  }
}
