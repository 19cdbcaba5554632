import type { AttachmentStatus, AttachmentView, ConversationId, MessageId, UserId } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { eventColumnsSql } from '../events/outbox.ts';

export type AttachmentId = string;

export interface AttachmentRow {
  id: AttachmentId;
  conversation_id: ConversationId;
  uploader_id: UserId;
  name: string;
  declared_type: string | null;
  size: string | number;
  received: string | number;
  status: AttachmentStatus;
  scan: 'clamav' | 'off';
  content_type: string | null;
  reason: string | null;
  width: number | null;
  height: number | null;
  object_key: string | null;
  thumbnail_key: string | null;
  message_id: MessageId | null;
  attempts: number;
  lease_holder: string | null;
  created_at: Date;
  /** When the last byte was stored (the upload became `pending`). */
  completed_at: Date | null;
  /** When processing ended (`clean`, `blocked` or `failed`). */
  processed_at: Date | null;
}

export function toAttachmentView(row: AttachmentRow): AttachmentView {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    uploader_id: row.uploader_id,
    name: row.name,
    size: Number(row.size),
    content_type: row.status === 'clean' ? row.content_type : null,
    status: row.status,
    scan: row.scan,
    reason: row.reason,
    width: row.width,
    height: row.height,
    thumbnail: row.thumbnail_key !== null,
    message_id: row.message_id,
    created_at: row.created_at.toISOString(),
  };
}

/** The reference stored inside a message's content (what history and `message` frames carry). */
export function toMessageAttachment(row: AttachmentRow) {
  const view = toAttachmentView(row);
  return {
    id: view.id,
    name: view.name,
    size: view.size,
    status: view.status,
    scan: view.scan,
    thumbnail: view.thumbnail,
    ...(view.content_type ? { content_type: view.content_type } : {}),
    ...(view.width !== null ? { width: view.width } : {}),
    ...(view.height !== null ? { height: view.height } : {}),
  };
}

export type CreateOutcome = 'created' | 'not_member' | 'quota_exceeded';

/** The attachments table: uploads, their processing jobs, their references from messages. */
export class AttachmentsRepo {
  constructor(private readonly db: Database) {}

  /**
   * Records a new upload when the uploader is a member and its size fits in
   * their quota (every upload not blocked or failed counts, finished or not),
   * before any byte is stored. Check and insert are one statement, but one
   * statement is not enough: two concurrent creations would each read the
   * usage before the other's row exists and both pass. So the uploader's
   * `users` row is locked first, in the same transaction: creations by one
   * user take turns, and each reads the usage (a fresh snapshot, READ
   * COMMITTED) after the previous one committed. `FOR NO KEY UPDATE`, not
   * `FOR UPDATE`: it does not conflict with the key-share locks that
   * foreign keys to `users` take, so the user's sends are never held up.
   */
  async create(upload: {
    id: AttachmentId;
    conversationId: ConversationId;
    uploaderId: UserId;
    name: string;
    declaredType: string | null;
    size: number;
    scan: 'clamav' | 'off';
    quotaBytes: number;
  }): Promise<CreateOutcome> {
    const [row] = await this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [upload.uploaderId]);
      return tx.query<{ member: boolean; used: string; inserted: boolean }>(
        `WITH member AS (
           SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $2::uuid AND user_id = $3::uuid) AS member
         ), used AS (
           SELECT COALESCE(sum(size), 0) AS used FROM attachments
            WHERE uploader_id = $3::uuid AND status NOT IN ('blocked', 'failed')
         ), ins AS (
           INSERT INTO attachments (id, conversation_id, uploader_id, name, declared_type, size, scan)
           SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::bigint, $7::text FROM member, used
            WHERE member.member AND used.used + $6::bigint <= $8::bigint
           RETURNING id
         )
         SELECT member.member, used.used::text AS used, EXISTS (SELECT 1 FROM ins) AS inserted FROM member, used`,
        [upload.id, upload.conversationId, upload.uploaderId, upload.name, upload.declaredType, upload.size, upload.scan, upload.quotaBytes],
      );
    });
    if (row!.inserted) return 'created';
    return row!.member ? 'quota_exceeded' : 'not_member';
  }

  async get(id: AttachmentId, sql: Sql = this.db): Promise<AttachmentRow | null> {
    const [row] = await sql.query<AttachmentRow>('SELECT * FROM attachments WHERE id = $1', [id]);
    return row ?? null;
  }

  /**
   * The attachment when `userId` is a member of its conversation and its
   * message is not hidden by moderation; null otherwise (the same as a missing one).
   */
  async getForMember(id: AttachmentId, userId: UserId): Promise<AttachmentRow | null> {
    const [row] = await this.db.query<AttachmentRow>(
      `SELECT a.* FROM attachments a
         JOIN conversation_members cm ON cm.conversation_id = a.conversation_id AND cm.user_id = $2
        WHERE a.id = $1
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = a.message_id AND m.hidden_at IS NOT NULL)`,
      [id, userId],
    );
    return row ?? null;
  }

  /**
   * Records a stored part at `start`, only if the upload still expects bytes
   * there (another instance may have taken the same PATCH): the row's
   * `received` moves under its lock. The last part makes the upload `pending`.
   * Returns the new offset, or null when the part no longer fits.
   */
  async recordPart(id: AttachmentId, start: number, size: number): Promise<{ received: number; complete: boolean } | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ received: string; size: string }>(
        `UPDATE attachments SET received = received + $3::bigint
          WHERE id = $1 AND received = $2::bigint AND status = 'uploading' AND received + $3::bigint <= size
          RETURNING received::text, size::text`,
        [id, start, size],
      );
      if (!row) return null;
      await tx.query('INSERT INTO attachment_parts (attachment_id, start, size) VALUES ($1, $2, $3)', [id, start, size]);
      const complete = row.received === row.size;
      if (complete) {
        await tx.query(
          `UPDATE attachments SET status = 'pending', completed_at = now(), next_attempt_at = now() WHERE id = $1`,
          [id],
        );
      }
      return { received: Number(row.received), complete };
    });
  }

  async parts(id: AttachmentId): Promise<Array<{ start: number; size: number }>> {
    const rows = await this.db.query<{ start: string; size: string }>(
      'SELECT start::text, size::text FROM attachment_parts WHERE attachment_id = $1 ORDER BY start',
      [id],
    );
    return rows.map((r) => ({ start: Number(r.start), size: Number(r.size) }));
  }

  /**
   * Takes the next due processing job, skipping rows other instances hold:
   * any instance may process any upload; a holder that dies loses its lease
   * when it expires and the job is taken again.
   */
  async claim(holder: string, leaseSeconds: number): Promise<AttachmentRow | null> {
    const [row] = await this.db.query<AttachmentRow>(
      `UPDATE attachments SET lease_holder = $1, lease_expires_at = now() + make_interval(secs => $2::double precision), attempts = attempts + 1
        WHERE id = (
          SELECT id FROM attachments
           WHERE status = 'pending' AND next_attempt_at <= now()
             AND (lease_expires_at IS NULL OR lease_expires_at < now())
           ORDER BY next_attempt_at
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [holder, leaseSeconds],
    );
    return row ?? null;
  }

  /** Extends a held lease; false when it was lost (expired and taken by another instance). */
  async renew(id: AttachmentId, holder: string, leaseSeconds: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE attachments SET lease_expires_at = now() + make_interval(secs => $3::double precision)
        WHERE id = $1 AND lease_holder = $2 AND status = 'pending' RETURNING id`,
      [id, holder, leaseSeconds],
    );
    return rows.length > 0;
  }

  /** Gives a job back to be tried again after `delaySeconds` (the scanner was down). */
  async retryLater(id: AttachmentId, holder: string, delaySeconds: number): Promise<void> {
    await this.db.query(
      `UPDATE attachments SET lease_holder = NULL, lease_expires_at = NULL,
              next_attempt_at = now() + make_interval(secs => $3::double precision)
        WHERE id = $1 AND lease_holder = $2 AND status = 'pending'`,
      [id, holder, delaySeconds],
    );
  }

  /**
   * Ends a job with its outcome, only while `holder` still holds it (an
   * instance that lost its lease must not overwrite the one that took over).
   */
  async finish(
    id: AttachmentId,
    holder: string,
    outcome: {
      status: 'clean' | 'blocked' | 'failed';
      contentType: string | null;
      reason: string | null;
      width: number | null;
      height: number | null;
      objectKey: string | null;
      thumbnailKey: string | null;
      /** The ClamAV signature of a `malware` block (goes into the `attachment.blocked` event). */
      signature?: string | null;
    },
  ): Promise<AttachmentRow | null> {
    // A block also writes its `attachment.blocked` outbox event, in the same statement: both or neither.
    const [row] = await this.db.query<AttachmentRow>(
      `WITH done AS (
         UPDATE attachments SET status = $3, content_type = $4, reason = $5, width = $6, height = $7,
                object_key = $8, thumbnail_key = $9, processed_at = now(), lease_holder = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_holder = $2 AND status = 'pending'
          RETURNING *
       ), event AS (
         INSERT INTO outbox (event_id, type, schema_version, topic, key, payload)
         SELECT gen_random_uuid(), ${eventColumnsSql('attachment.blocked')}, d.conversation_id, jsonb_build_object(
                  'attachment_id', d.id, 'conversation_id', d.conversation_id, 'uploader_id', d.uploader_id,
                  'message_id', d.message_id, 'name', d.name, 'size', d.size, 'content_type', d.content_type,
                  'reason', d.reason, 'signature', $10::text)
           FROM done d WHERE d.status = 'blocked'
       )
       SELECT * FROM done`,
      [id, holder, outcome.status, outcome.contentType, outcome.reason, outcome.width, outcome.height, outcome.objectKey, outcome.thumbnailKey, outcome.signature ?? null],
    );
    return row ?? null;
  }

  /** The sender's own uploads to this conversation among `ids`. */
  async usableBy(ids: AttachmentId[], senderId: UserId, conversationId: ConversationId): Promise<AttachmentRow[]> {
    return this.db.query<AttachmentRow>(
      `SELECT * FROM attachments
        WHERE id = ANY($1::uuid[]) AND uploader_id = $2 AND conversation_id = $3`,
      [ids, senderId, conversationId],
    );
  }

  /** Marks uploads as referenced by a message (the first message to reference one keeps it). */
  async link(ids: AttachmentId[], messageId: MessageId): Promise<AttachmentRow[]> {
    return this.db.query<AttachmentRow>(
      'UPDATE attachments SET message_id = $2 WHERE id = ANY($1::uuid[]) AND message_id IS NULL RETURNING *',
      [ids, messageId],
    );
  }

  /**
   * Writes an attachment's current state into the content of the message
   * that references it, so history shows it without another lookup.
   */
  async refreshMessage(row: AttachmentRow): Promise<void> {
    if (!row.message_id) return;
    await this.db.query(
      `UPDATE messages SET content = jsonb_set(content, '{attachments}', (
          SELECT COALESCE(jsonb_agg(CASE WHEN e->>'id' = $2 THEN $3::jsonb ELSE e END ORDER BY i), '[]'::jsonb)
            FROM jsonb_array_elements(content->'attachments') WITH ORDINALITY AS x(e, i)))
        WHERE id = $1 AND content ? 'attachments'`,
      [row.message_id, row.id, JSON.stringify(toMessageAttachment(row))],
    );
  }

  async forMessage(messageId: MessageId): Promise<AttachmentRow[]> {
    return this.db.query<AttachmentRow>('SELECT * FROM attachments WHERE message_id = $1', [messageId]);
  }

  /** Uploads no message referenced within `ttlSeconds` of their creation. */
  async unreferenced(ttlSeconds: number, limit: number): Promise<AttachmentRow[]> {
    return this.db.query<AttachmentRow>(
      `SELECT * FROM attachments
        WHERE message_id IS NULL AND created_at < now() - make_interval(secs => $1::double precision)
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY created_at LIMIT $2`,
      [ttlSeconds, limit],
    );
  }

  /** Files waiting for processing (all instances), and how long the oldest has waited since its last byte, seconds. */
  async backlog(): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await this.db.query<{ pending: string; oldest: string }>(
      `SELECT count(*)::text AS pending, COALESCE(extract(epoch FROM now() - min(completed_at)), 0)::text AS oldest
         FROM attachments WHERE status = 'pending'`,
    );
    return { pending: Number(row!.pending), oldestSeconds: Math.max(0, Number(row!.oldest)) };
  }

  async remove(id: AttachmentId): Promise<void> {
    await this.db.query('DELETE FROM attachments WHERE id = $1', [id]);
  }
}
