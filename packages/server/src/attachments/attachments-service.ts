import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Attachment, AttachmentPushFrame, AttachmentView, ConversationId, MessageId, UserId } from '@parley/protocol';
import type { Static } from 'typebox';
import type { Database } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { Audit } from '../audit.ts';
import { AppError } from '../errors.ts';
import { memberIds } from '../conversations/conversations-repo.ts';
import type { BlobStore, ByteRange } from './storage/blob-store.ts';
import { AttachmentsRepo, toAttachmentView, toMessageAttachment, type AttachmentRow } from './attachments-repo.ts';
import type { AttachmentProcessor } from './processor.ts';

const notFound = () => new AppError('not_found', 'no such attachment');

/**
 * Attachments as the rest of Parley sees them: views for members, bytes for
 * members once `clean`, the references messages carry, status pushes, and
 * removal (blocked files, collected uploads, removed messages).
 */
export class AttachmentsService {
  constructor(
    private readonly db: Database,
    readonly repo: AttachmentsRepo,
    private readonly store: BlobStore,
    private readonly processor: AttachmentProcessor,
    private readonly notifier: Notifier,
    private readonly audit: Audit,
    private readonly log: Logger,
  ) {}

  /** The attachment's metadata, for members of its conversation (anyone else: `not_found`, as for a missing one). */
  async view(me: UserId, id: string): Promise<AttachmentView> {
    const row = await this.repo.getForMember(id, me);
    if (!row) throw notFound();
    return toAttachmentView(row);
  }

  /**
   * The served file (or its thumbnail) for a member, only when `clean`:
   * still processing → `attachment_not_ready`, blocked or failed →
   * `attachment_unavailable`. Resolves the object's size for range requests.
   */
  async content(me: UserId, id: string, which: 'file' | 'thumbnail'): Promise<{ row: AttachmentRow; key: string; size: number }> {
    const row = await this.repo.getForMember(id, me);
    if (!row) throw notFound();
    if (row.status === 'uploading' || row.status === 'pending') throw new AppError('attachment_not_ready', `the attachment is ${row.status === 'pending' ? 'being processed' : 'still uploading'}`);
    if (row.status !== 'clean') throw new AppError('attachment_unavailable', `the attachment was ${row.status} (${row.reason ?? 'unknown'})`);
    const key = which === 'file' ? row.object_key : row.thumbnail_key;
    if (!key) throw notFound();
    const stat = await this.store.stat(key);
    if (!stat) throw notFound();
    return { row, key, size: stat.size };
  }

  open(key: string, range?: ByteRange): Promise<Readable> {
    return this.store.get(key, range);
  }

  /**
   * The references a message may carry: each id must be the sender's own
   * upload to this conversation (a blocked one may be referenced: it shows
   * as blocked, without content, to every member); otherwise the send
   * is refused with `attachment_invalid` and nothing is stored. Returns the
   * references with the server's metadata (the client's other fields are dropped).
   */
  async resolveForMessage(me: UserId, conversationId: ConversationId, refs: ReadonlyArray<Static<typeof Attachment>>) {
    const ids = [...new Set(refs.map((r) => r.id))];
    if (ids.length !== refs.length) throw new AppError('attachment_invalid', 'an attachment is listed twice');
    if (!ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))) {
      throw new AppError('attachment_invalid', 'attachment ids are the ids of uploads');
    }
    const rows = await this.repo.usableBy(ids, me, conversationId);
    if (rows.length !== ids.length) {
      throw new AppError('attachment_invalid', 'a message may only reference your own uploads to this conversation');
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => toMessageAttachment(byId.get(id)!));
  }

  /** After the message is stored: the uploads now belong to it (and are no longer collected). */
  async linkToMessage(ids: string[], messageId: MessageId): Promise<void> {
    for (const row of await this.repo.link(ids, messageId)) {
      // Processing may have finished between the send's check and now: bring the message's copy up to date.
      if (row.status !== 'uploading' && row.status !== 'pending') {
        await this.repo.refreshMessage(row);
        await this.announce(row);
      }
    }
  }

  /** A job ended: update the message that references it, tell the uploader (and the members), audit a block. */
  async finished(row: AttachmentRow, detail: { signature?: string }): Promise<void> {
    if (row.status === 'blocked') {
      this.audit.event('attachment_blocked', {
        attachment_id: row.id,
        conversation_id: row.conversation_id,
        user_id: row.uploader_id,
        reason: row.reason,
        signature: detail.signature ?? null,
      });
    }
    await this.repo.refreshMessage(row);
    await this.announce(row);
  }

  /** Pushes the attachment's state to its uploader, and to every member once a message references it. */
  async announce(row: AttachmentRow): Promise<void> {
    const frame: AttachmentPushFrame = { type: 'attachment', attachment: toAttachmentView(row) };
    if (row.message_id) this.notifier.toConversation(row.conversation_id, await memberIds(this.db, row.conversation_id), frame);
    else this.notifier.toUsers([row.uploader_id], frame);
  }

  /** Removes an upload and every object it has (collection after the TTL). */
  async remove(row: AttachmentRow): Promise<void> {
    await this.processor.removeObjects(row, await this.repo.parts(row.id));
    await this.repo.remove(row.id);
  }

  /**
   * The seam for message removal (moderation now, deletion later): a removed
   * message's files are deleted from storage and their rows dropped.
   */
  async removeForMessage(messageId: MessageId): Promise<number> {
    const rows = await this.repo.forMessage(messageId);
    for (const row of rows) await this.remove(row);
    if (rows.length > 0) this.log.info({ message_id: messageId, attachments: rows.length }, 'removed the attachments of a removed message');
    return rows.length;
  }
}
