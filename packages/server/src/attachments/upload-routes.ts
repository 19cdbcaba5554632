import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Server as TusServer } from '@tus/server';
import { Type } from 'typebox';
import { UUID_PATTERN, isStorableText } from '@parley/protocol';
import { AppError } from '../errors.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../audit.ts';
import type { Limit } from '../config.ts';
import type { AttachmentsRepo } from './attachments-repo.ts';
import type { TusBlobDataStore } from './tus-store.ts';

export const UPLOADS_PATH = '/api/v1/uploads';

/**
 * CORS for tus clients on other origins (only those in PUBLIC_ORIGINS): the
 * methods and request headers tus uses, and the response headers a tus
 * client must read (`Location` of a new upload, `Upload-Offset` to resume).
 * Preflights are answered by the app's CORS hook (before authentication);
 * the grant on the answers themselves is tus' own (`allowedOrigins` below),
 * since tus writes those responses.
 */
export const UPLOAD_CORS = {
  methods: ['POST', 'HEAD', 'PATCH', 'DELETE'],
  allowedHeaders: ['authorization', 'content-type', 'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset'],
  exposedHeaders: ['Location', 'Upload-Offset', 'Upload-Length', 'Upload-Metadata', 'Tus-Resumable', 'Tus-Version', 'Tus-Extension', 'Tus-Max-Size', 'Retry-After'],
};

/** Request header the creation check uses to hand its chosen id to tus (any client value is overwritten). */
const UPLOAD_ID_HEADER = 'x-parley-upload-id';

export interface UploadPolicy {
  maxBytes: number;
  quotaBytes: number;
  scan: 'clamav' | 'off';
  limit: Limit;
  /** Origins (PUBLIC_ORIGINS) whose browsers may use the upload routes; no other origin gets a CORS grant. */
  origins: readonly string[];
}

/**
 * The tus endpoint (https://tus.io/protocols/resumable-upload, creation,
 * creation-with-upload, termination): `POST /api/v1/uploads` with
 * `Upload-Length` and `Upload-Metadata` (`conversation_id`, `filename`,
 * `filetype`) creates an upload, `HEAD` / `PATCH` / `DELETE
 * /api/v1/uploads/:id` resume, continue and cancel it. Authentication is the
 * API's bearer token. Before tus sees a creation, Parley checks the size
 * limit, the upload rate, membership and the quota, in that order, and
 * refuses with its own error body before any byte is stored. Only the
 * uploader may touch an upload; to anyone else it does not exist.
 */
export function registerUploadRoutes(
  app: FastifyInstance,
  deps: {
    datastore: TusBlobDataStore;
    repo: AttachmentsRepo;
    limiter: RateLimiter;
    audit: Audit;
    policy: UploadPolicy;
    /** Told each creation's outcome: `accepted` or the error code it was refused with. */
    onCreation?: (result: string) => void;
  },
): void {
  const { repo, policy } = deps;
  const tus = new TusServer({
    path: UPLOADS_PATH,
    datastore: deps.datastore,
    maxSize: policy.maxBytes,
    relativeLocation: true,
    // Without this tus would grant every origin (`*`).
    allowedOrigins: (origin) => policy.origins.includes(origin),
    exposedHeaders: UPLOAD_CORS.exposedHeaders,
    namingFunction: (req) => {
      const id = req.headers.get(UPLOAD_ID_HEADER);
      if (!id) throw new Error('upload id missing: the creation check did not run');
      return id;
    },
    // tus answers its own protocol errors in plain text; Parley's clients read one error shape.
    onResponseError: (_req, err) => {
      const status = 'status_code' in err ? err.status_code : 500;
      if (status >= 500) app.log.error({ err }, 'upload request failed');
      const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 409 ? 'conflict' : status === 410 ? 'attachment_unavailable' : status < 500 ? 'validation_failed' : 'internal';
      const message = status < 500 && 'body' in err ? err.body.trim() : 'internal server error';
      return { status_code: status, body: JSON.stringify({ error: { code, message } }) };
    },
  });

  // tus bodies are streamed to the blob store by tus itself: Fastify must not read them.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null, undefined));

  const handOver = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
  };

  const onlyUploader = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const row = await repo.get(req.params.id);
    if (!row || row.uploader_id !== req.userId) throw new AppError('not_found', 'no such upload');
  };

  const tusHeaders = Type.Object({ 'tus-resumable': Type.Literal('1.0.0') });
  const params = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) });

  app.post(
    UPLOADS_PATH,
    {
      schema: {
        summary: 'Create a resumable upload (tus creation; a small file may come in the same request)',
        description:
          'tus 1.0.0. Headers: `Upload-Length` (bytes, at most ATTACHMENT_MAX_BYTES), `Upload-Metadata` with base64 values for ' +
          '`conversation_id` (a conversation the caller is a member of), `filename` and optionally `filetype`. With ' +
          '`Content-Type: application/offset+octet-stream` the body is the first bytes (creation-with-upload). Answers 201 ' +
          'with `Location` (the upload URL, whose last segment is the attachment id) and `Upload-Offset`. Refused before any ' +
          'byte is stored: 413 `payload_too_large`, 413 `quota_exceeded`, 429 `rate_limited`, 404 `conversation_not_found`.',
        headers: tusHeaders,
      },
    },
    async (req, reply) => {
      let id: string;
      try {
        id = await checkCreation(req, deps);
      } catch (err) {
        deps.onCreation?.(err instanceof AppError ? err.code : 'internal');
        throw err;
      }
      deps.onCreation?.('accepted');
      // tus reads headers from rawHeaders: drop any the client sent under this name, then add ours.
      const raw = req.raw.rawHeaders;
      for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === UPLOAD_ID_HEADER) raw.splice(i, 2);
      raw.push(UPLOAD_ID_HEADER, id);
      req.raw.headers[UPLOAD_ID_HEADER] = id;
      await handOver(req, reply);
    },
  );
  app.route<{ Params: { id: string } }>({
    method: ['HEAD', 'PATCH', 'DELETE'],
    url: `${UPLOADS_PATH}/:id`,
    schema: {
      summary: 'Resume (HEAD: offset), continue (PATCH at Upload-Offset) or cancel (DELETE) an upload (tus)',
      description:
        'Only the uploader; to anyone else the upload does not exist (404). PATCH takes `Content-Type: ' +
        'application/offset+octet-stream` and `Upload-Offset` equal to the offset HEAD reports; the bytes that arrive ' +
        'before a dropped connection are kept. The last byte starts processing (`pending`).',
      params,
      headers: tusHeaders,
    },
    exposeHeadRoute: false,
    preHandler: onlyUploader,
    handler: handOver,
  });
}

async function checkCreation(
  req: FastifyRequest,
  deps: { repo: AttachmentsRepo; limiter: RateLimiter; audit: Audit; policy: UploadPolicy },
): Promise<string> {
  const { policy } = deps;
  const rawLength = req.headers['upload-length'];
  if (typeof rawLength !== 'string' || !/^\d{1,15}$/.test(rawLength)) {
    throw new AppError('validation_failed', 'Upload-Length must be the size in bytes (deferred lengths are not supported)');
  }
  const size = Number(rawLength);
  if (size === 0) throw new AppError('validation_failed', 'an upload must have at least one byte');
  if (size > policy.maxBytes) throw new AppError('payload_too_large', `files are limited to ${policy.maxBytes} bytes`);

  const wait = await deps.limiter.take(`uploads:${req.userId}`, policy.limit);
  if (wait > 0) {
    deps.audit.event('rate_limited', { scope: 'uploads', user_id: req.userId });
    throw new AppError('rate_limited', 'too many uploads', { retryAfter: wait });
  }

  const metadata = parseMetadata(req.headers['upload-metadata']);
  const conversationId = metadata.conversation_id;
  if (!conversationId || !new RegExp(UUID_PATTERN).test(conversationId)) {
    throw new AppError('validation_failed', 'Upload-Metadata must name the conversation_id');
  }
  const name = metadata.filename ?? 'file';
  if (name.length === 0 || name.length > 255 || !isStorableText(name)) {
    throw new AppError('validation_failed', 'filename must be 1 to 255 characters of storable text');
  }
  const declared = metadata.filetype ?? null;
  const id = crypto.randomUUID();
  const outcome = await deps.repo.create({
    id,
    conversationId,
    uploaderId: req.userId,
    name,
    declaredType: declared && declared.length <= 127 && isStorableText(declared) ? declared : null,
    size,
    scan: policy.scan,
    quotaBytes: policy.quotaBytes,
  });
  if (outcome === 'not_member') throw new AppError('conversation_not_found', 'conversation not found');
  if (outcome === 'quota_exceeded') {
    throw new AppError('quota_exceeded', `this upload would take you past your storage quota of ${policy.quotaBytes} bytes`);
  }
  return id;
}

/** tus `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has an empty value). */
export function parseMetadata(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof header !== 'string' || header.length > 8192) return out;
  for (const pair of header.split(',')) {
    const match = /^([A-Za-z0-9_.-]+)(?: ([A-Za-z0-9+/]*={0,2}))?$/.exec(pair.trim());
    if (!match) throw new AppError('validation_failed', 'Upload-Metadata is not valid tus metadata');
    out[match[1]!] = Buffer.from(match[2] ?? '', 'base64').toString('utf8');
  }
  return out;
}
