import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';

/**
 * Attachments (issue #14). A member uploads a file into a conversation with
 * the tus protocol (`POST /api/v1/uploads`, metadata `conversation_id`,
 * `filename`, `filetype`), then references it by id in a message's
 * `attachments`. The server processes every upload in the background: the
 * real type from the bytes, images re-encoded without metadata with a
 * thumbnail, a ClamAV scan. Nothing is served before `clean`.
 */
export const AttachmentStatuses = ['uploading', 'pending', 'clean', 'blocked', 'failed'] as const;
export type AttachmentStatus = (typeof AttachmentStatuses)[number];

export const AttachmentStatusSchema = Type.Union(
  [Type.Literal('uploading'), Type.Literal('pending'), Type.Literal('clean'), Type.Literal('blocked'), Type.Literal('failed')],
  {
    description:
      '`uploading`: bytes still arriving; `pending`: being processed (type, metadata, malware scan), or waiting for the scanner; ' +
      '`clean`: downloadable; `blocked`: refused (malware, or a type the operator does not allow) and deleted; `failed`: could not be processed.',
  },
);

/** Whether the malware scan applies: `clamav`, or `off` when the operator turned scanning off ("not scanned"). */
export const AttachmentScanSchema = Type.Union([Type.Literal('clamav'), Type.Literal('off')], {
  description: '`off`: the operator turned malware scanning off; the file is served without a scan ("not scanned").',
});

export const AttachmentViewSchema = Type.Object({
  id: Uuid,
  conversation_id: Uuid,
  uploader_id: Uuid,
  name: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  /** The type found in the bytes once processed (never the client's claim); null before. */
  content_type: Type.Union([Type.String(), Type.Null()]),
  status: AttachmentStatusSchema,
  scan: AttachmentScanSchema,
  /** Why it is `blocked` or `failed`: `malware`, `type_not_allowed`, `unreadable`; null otherwise. */
  reason: Type.Union([Type.String(), Type.Null()]),
  width: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  height: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** True when `GET /api/v1/attachments/:id/thumbnail` serves a preview. */
  thumbnail: Type.Boolean(),
  /** The message that references it; null until one does (unreferenced uploads are collected after a TTL). */
  message_id: Type.Union([Uuid, Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});
export type AttachmentView = Static<typeof AttachmentViewSchema>;

/**
 * Pushed when an attachment's status changes: to its uploader, and once a
 * message references it, to every member of the conversation.
 */
export const AttachmentPushFrameSchema = Type.Object({
  type: Type.Literal('attachment'),
  attachment: AttachmentViewSchema,
});
export type AttachmentPushFrame = Static<typeof AttachmentPushFrameSchema>;

export const AttachmentParams = Type.Object({ id: Uuid }, { additionalProperties: false });
