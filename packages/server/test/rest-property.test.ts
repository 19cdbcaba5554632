import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '@parley/protocol';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { createConversation, register, startServer, textMessage, api, type TestServer, type TestUser } from './support/harness.ts';
import { garbageOf, nearValidOf, validOf, type JsonSchema, type Pools } from './support/schema-arbitrary.ts';

/**
 * Property-based fuzzing of the REST API, the counterpart of property.test.ts
 * for frames. Every route the app registers (from its route catalogue, so a new
 * route is covered without touching this file) gets requests generated from
 * its own TypeBox schemas — valid, near-valid and garbage bodies, path params
 * and query strings — with and without a token. The server must never answer
 * 5xx, every refusal must carry a documented error code, and a refused
 * request must store nothing (row counts of the main tables unchanged).
 */

/** Routes that take input the schemas cannot describe, and so have no generator: each must be listed with why. */
const NO_BODY: Record<string, string> = {
  'POST /api/v1/auth/ws-ticket': 'issues a ticket for the caller; reads no body',
  'POST /api/v1/uploads': 'tus: the body is raw bytes (application/offset+octet-stream), streamed to storage, described by its headers',
  'PATCH /api/v1/uploads/:id': 'tus: the body is raw bytes (application/offset+octet-stream), streamed to storage, described by its headers',
  'PUT /api/v1/conversations/:id/messages/:seq/pin': 'pins the message its path names; reads no body',
};
/**
 * Routes whose handlers the generated requests cannot reach, with why; their
 * refusals and answers are driven by the tests named. Still fuzzed here for 5xx.
 */
const NOT_REACHED: Record<string, string> = {
  'POST /api/v1/uploads': 'tus: needs Tus-Resumable, Upload-Length and Upload-Metadata headers the generator does not make (attachments.test.ts)',
  'HEAD /api/v1/uploads/:id': 'tus: needs an upload of the caller, made by tus (attachments.test.ts)',
  'PATCH /api/v1/uploads/:id': 'tus: needs an upload of the caller and tus headers (attachments.test.ts)',
  'DELETE /api/v1/uploads/:id': 'tus: needs an upload of the caller and tus headers (attachments.test.ts)',
  'GET /api/v1/attachments/:id': 'needs an attachment id, made by a tus upload; an unknown id is the edge\'s not_found (attachments.test.ts)',
  'GET /api/v1/attachments/:id/content': 'needs an attachment id, made by a tus upload (attachments.test.ts)',
  'GET /api/v1/attachments/:id/thumbnail': 'needs an attachment id, made by a tus upload (attachments.test.ts)',
};
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const TABLES = ['users', 'conversations', 'conversation_members', 'messages', 'refresh_tokens', 'ws_tickets'];
const RUNS_PER_ROUTE = 100;
/** Refusals by the edge (schemas, text checks, body parsing, authentication), before any handler runs. */
const EDGE_CODES = new Set(['validation_failed', 'invalid_text', 'malformed_json', 'payload_too_large', 'unauthenticated', 'not_found']);

interface Route {
  method: string;
  url: string;
  body?: JsonSchema;
  params?: JsonSchema;
  querystring?: JsonSchema;
}

interface GeneratedRequest {
  path: Record<string, unknown>;
  query: unknown;
  body: { json: unknown } | { raw: string } | null;
  authenticated: boolean;
}

/** Percent-encodes a value for a URL; an unpaired surrogate becomes the bytes of one (invalid UTF-8). */
function encode(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]|[^\ud800-\udfff]+/g, (part) => {
    try {
      return encodeURIComponent(part);
    } catch {
      return '%ED%A0%80';
    }
  });
}

function queryString(query: unknown): string {
  if (typeof query === 'string') return query;
  if (!query || typeof query !== 'object') return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encode(key)}=${encode(v)}`);
  }
  return parts.join('&');
}

function requestArbitrary(route: Route, pools: Pools): fc.Arbitrary<GeneratedRequest> {
  const pathNames = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const of = (schema: JsonSchema | undefined) =>
    schema
      ? fc.oneof({ weight: 3, arbitrary: validOf(schema, pools) }, { weight: 2, arbitrary: nearValidOf(schema, pools) }, { weight: 1, arbitrary: garbageOf() })
      : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: garbageOf() });
  const path = route.params
    ? of(route.params).map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : Object.fromEntries(pathNames.map((n) => [n, v]))))
    : fc.constant({});
  const body = BODY_METHODS.has(route.method) || route.method === 'DELETE'
    ? fc.oneof(
        { weight: 6, arbitrary: of(route.body).map((json) => (json === undefined ? null : { json })) },
        { weight: 1, arbitrary: fc.string().map((raw) => ({ raw })) },
        { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,', '\u0000', '{"text":"\\u0000"}').map((raw) => ({ raw })) },
      )
    : fc.constant(null);
  const query = fc.oneof(of(route.querystring), fc.constantFrom('%00', '%ZZ', 'a=%ED%A0%80', 'limit=1&limit=2', '__proto__[x]=1'));
  return fc.record({ path, query, body, authenticated: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) });
}

describe('the REST API under generated requests', () => {
  let database: TestDatabase;
  let server: TestServer;
  const routes: Route[] = [];
  let mallory: TestUser;
  let pools: Pools;
  let victimConversation: string;

  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db);
    // The server's own route catalogue (what the API documents list): a new route is covered with no edit here.
    for (const route of server.parley.routes()) {
      // OPTIONS is CORS preflight, with no handler of ours.
      if (route.method === 'OPTIONS') continue;
      const schema = route.schema as { body?: JsonSchema; params?: JsonSchema; querystring?: JsonSchema };
      routes.push({ method: route.method, url: route.url, body: schema.body, params: schema.params, querystring: schema.querystring });
    }
    const [alice, bob] = [await register(server.url), await register(server.url)];
    mallory = await register(server.url);
    const victim = await createConversation(server.url, alice, [bob]);
    victimConversation = victim.id;
    await api(server.url, 'POST', `/api/v1/conversations/${victim.id}/messages`, { token: alice.token, body: textMessage('private') });
    const own = await createConversation(server.url, mallory, [bob, alice], 'group');
    const direct = await createConversation(server.url, mallory, [bob]);
    // Mallory's own bot and token, so the bot routes' handlers are reached, not only their edge.
    const bot = await api(server.url, 'POST', '/api/v1/bots', { token: mallory.token, body: { username: `fz${Date.now().toString(36)}` } });
    const botToken = await api(server.url, 'POST', `/api/v1/bots/${bot.body.id}/tokens`, { token: mallory.token, body: { name: 'fuzz' } });
    pools = { uuids: [alice.id, bob.id, mallory.id, victim.id, own.id, direct.id, bot.body.id, botToken.body.id] };
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const counts = async (): Promise<Record<string, number>> => {
    const [row] = await database.db.query<Record<string, number>>(
      `SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`,
    );
    return row!;
  };

  it('enumerates the routes, and every route that takes input has a schema to generate it from', () => {
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['POST /api/v1/conversations', 'GET /api/v1/conversations/:id/members', 'POST /api/v1/auth/register']),
    );
    const missing: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      if (route.url.includes(':') && !route.params) missing.push(`${key}: path params without a params schema`);
      if (BODY_METHODS.has(route.method) && !route.body && !(key in NO_BODY)) missing.push(`${key}: no body schema (list it in NO_BODY with why if it reads none)`);
    }
    expect(missing).toEqual([]);
    // The list of exceptions stays honest.
    for (const key of Object.keys(NO_BODY)) expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(key);
  });

  it('never answers 5xx, refuses with a documented code, and stores nothing for a refused request', async () => {
    // Per route, what the handlers answered: a success or an error code past the edge's checks.
    const reached = new Map<string, Set<string>>();
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const seen = new Set<string>();
      reached.set(key, seen);
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route, pools), async (request) => {
          const path = route.url.replace(/:(\w+)/g, (_, name: string) => encode(request.path[name] ?? ''));
          const query = queryString(request.query);
          const headers: Record<string, string> = {};
          if (request.authenticated) headers.authorization = `Bearer ${mallory.token}`;
          let body: string | undefined;
          if (request.body) {
            headers['content-type'] = 'application/json';
            body = 'raw' in request.body ? request.body.raw : JSON.stringify(request.body.json);
          }
          const before = await counts();
          const res = await fetch(`${server.url}${path}${query ? `?${query}` : ''}`, { method: route.method, headers, body });
          const text = await res.text();
          expect(res.status, `${key} → ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status < 400) seen.add(String(res.status));
          else if (route.method !== 'HEAD') {
            // (A HEAD answer has no body by definition: its status is all there is to check.)
            const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
            expect(isErrorCode(code), `${key} answered ${res.status} with ${text.slice(0, 200)}`).toBe(true);
            if (!EDGE_CODES.has(code as string)) seen.add(code as string);
            expect(await counts(), `${key} → ${res.status} changed rows`).toEqual(before);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: 12, endOnFailure: false },
      );
    }
    // The generators got past the edge: every route's handler answered some of them.
    const neverReached = [...reached].filter(([key, seen]) => seen.size === 0 && !(key in NOT_REACHED)).map(([key]) => key);
    expect(neverReached).toEqual([]);
    for (const key of Object.keys(NOT_REACHED)) expect([...reached.keys()]).toContain(key);
    // And the victim's conversation, which mallory is not in, holds what it held.
    const [row] = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [victimConversation]);
    expect(row!.n).toBe(1);
  }, 300_000);
});
