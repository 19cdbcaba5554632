import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AttachmentParams, AttachmentViewSchema, type AttachmentView } from '@parley/protocol';
import type { ByteRange } from './storage/blob-store.ts';
import type { AttachmentsService } from './attachments-service.ts';

type Params = { id: string };

const Bytes = Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The file (or the requested range of it).' });

/**
 * Reading attachments. Only members of the conversation get anything; to
 * anyone else an attachment is exactly as missing as one that never existed.
 * Bytes are served only once `clean`, always with `nosniff`, a sandboxing
 * CSP, `Cache-Control: private, no-store` (no shared cache keeps a private
 * file) and as a download unless the type is an inline image type.
 */
export function registerAttachmentRoutes(
  app: FastifyInstance,
  attachments: AttachmentsService,
  options: { inlineTypes: ReadonlySet<string> },
): void {
  app.get<{ Params: Params; Reply: AttachmentView }>(
    '/api/v1/attachments/:id',
    { schema: { summary: "An attachment's metadata and processing status (members only)", params: AttachmentParams, response: { 200: AttachmentViewSchema } } },
    (req) => attachments.view(req.userId, req.params.id),
  );

  const serve = (which: 'file' | 'thumbnail') => async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { row, key, size } = await attachments.content(req.userId, req.params.id, which);
    const type = which === 'thumbnail' ? 'image/webp' : (row.content_type ?? 'application/octet-stream');
    const inline = which === 'thumbnail' || options.inlineTypes.has(type);
    reply
      .header('content-type', type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "sandbox; default-src 'none'")
      .header('cache-control', 'private, no-store')
      .header('accept-ranges', 'bytes')
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; ${fileNameParameters(which === 'thumbnail' ? `${row.name}.webp` : row.name)}`);
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      return reply.status(416).header('content-range', `bytes */${size}`).send();
    }
    if (range) {
      reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      return reply.send(await attachments.open(key, range));
    }
    reply.header('content-length', size);
    if (size === 0) return reply.send('');
    return reply.send(await attachments.open(key));
  };

  app.get<{ Params: Params }>(
    '/api/v1/attachments/:id/content',
    {
      schema: {
        summary: 'Download an attachment (members only, once clean); Range requests supported',
        description:
          '409 `attachment_not_ready` while uploading or processing, 410 `attachment_unavailable` when blocked or failed. ' +
          'Served as `Content-Disposition: attachment` except the inline image types (ATTACHMENT_INLINE_TYPES), with ' +
          '`X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox` and `Cache-Control: private, no-store`.',
        params: AttachmentParams,
        response: { 200: Bytes, 206: Bytes },
      },
    },
    serve('file'),
  );
  app.get<{ Params: Params }>(
    '/api/v1/attachments/:id/thumbnail',
    {
      schema: {
        summary: `An image attachment's thumbnail (WebP, longest side at most 320 px; members only, once clean)`,
        params: AttachmentParams,
        response: { 200: Bytes, 206: Bytes },
      },
    },
    serve('thumbnail'),
  );
}

/**
 * One `bytes=` range of RFC 9110 (`a-b`, `a-`, `-n`), clamped to the size;
 * null to serve the whole file (no header, several ranges, another unit).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (match[2] !== '' && Number(match[2]) < start) return null;
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}

/** `filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266), with nothing that could end the header. */
function fileNameParameters(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
