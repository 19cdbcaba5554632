import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths the web client never owns: unknown ones keep the API's JSON 404. */
const SERVER_PATHS = /^\/(?:api|ws|metrics|healthz|readyz)(?:\/|$)/;

/** Vite puts content-hashed files under `assets/`: a new build gives them new names, so they never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) may change with the next build: revalidate every time (ETag). */
const REVALIDATE = 'no-cache';

/**
 * Serves the built web client (`apps/web/dist`) at `/`: its files as they are,
 * and `index.html` for `/` and for any other GET that a browser navigates to
 * (Accept: text/html), so deep links such as `/c/<id>` load the app. API,
 * socket, health and metrics paths are never answered with the page.
 *
 * Files are looked up per request rather than listed once at start-up, so a
 * rebuild of the client is served without a restart. Register it after the
 * API routes: their routes are more specific and win.
 */
export async function registerWebClient(app: FastifyInstance, webRoot: string): Promise<void> {
  const root = resolve(webRoot);
  // `serve: false`: only `reply.sendFile` is wanted; the route below decides what a path means.
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, dotfiles: 'deny', index: false });

  // Hidden from the API documents: it serves the web client, not the API.
  app.get('/*', { logLevel: 'warn', schema: { hide: true } }, async (req, reply) => {
    const path = pathOf(req);
    if (path === null || SERVER_PATHS.test(path)) return reply.callNotFound();
    const file = await fileUnder(root, path);
    if (file !== null) return sendWithCache(reply, file);
    if (path === '/' || acceptsHtml(req)) return sendWithCache(reply, 'index.html');
    return reply.callNotFound();
  });
}

function sendWithCache(reply: FastifyReply, file: string): FastifyReply {
  const hashed = file.startsWith('assets/');
  return reply.header('cache-control', hashed ? IMMUTABLE : REVALIDATE).sendFile(file);
}

/** The decoded path of the request, or null when it cannot be decoded. */
function pathOf(req: FastifyRequest): string | null {
  const raw = req.url.split('?', 1)[0] ?? '/';
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** The path of a regular file inside `root` (relative, with `/`), or null: never a dotfile, never outside root. */
async function fileUnder(root: string, path: string): Promise<string | null> {
  if (path.includes('\0') || path.split('/').some((segment) => segment.startsWith('.'))) return null;
  const absolute = resolve(root, '.' + path);
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  try {
    if (!(await stat(absolute)).isFile()) return null;
  } catch {
    return null;
  }
  return rel.split(sep).join('/');
}

function acceptsHtml(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}
