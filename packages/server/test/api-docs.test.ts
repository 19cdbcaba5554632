import { existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Parser } from '@asyncapi/parser';
import {
  BEARER_PROTOCOL_PREFIX,
  CallFrames,
  ClientFrames,
  CloseCodes,
  ErrorCodes,
  EventCatalogue,
  retryableErrorCodes,
  ServerFrames,
  SUBPROTOCOL,
} from '@parley/protocol';
import { buildAsyncApi, protocolFrames, type FrameCatalogues } from '../src/api-docs/asyncapi.ts';
import { openApiPath } from '../src/api-docs/openapi.ts';
import { collectRoutes } from '../src/api-docs/route-catalogue.ts';
import { registerApiDocsRoutes } from '../src/api-docs/routes.ts';
import { API_DOCUMENT_FILES, documentText } from '../src/api-docs/write-api-docs.ts';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { api, createConversation, register, startServer, uniqueName, type TestServer } from './support/harness.ts';

type Doc = Record<string, any>;

const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/**
 * Every (method, url) Fastify will answer, read from its own route tree
 * (`printRoutes`), independently of the onRoute catalogue the generator uses.
 * Left out: HEAD (implied by GET), the CORS preflight `OPTIONS *` and the web
 * client's catch-all `/*`, which are not part of the API.
 */
function registeredRoutes(printed: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (stack[depth - 1] ?? '') + match[2]!;
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean)) {
      if (method === 'HEAD' || url === '*' || url === '/*') continue;
      routes.push(`${method} ${url}`);
    }
  }
  return routes.sort();
}

/** Routes (as `METHOD /url/:param`) that the OpenAPI document does not describe. */
function missingRoutes(routes: string[], openapi: Doc): string[] {
  return routes.filter((route) => {
    const [method, url] = route.split(' ') as [string, string];
    return openapi.paths[openApiPath(url).path]?.[method.toLowerCase()] === undefined;
  });
}

/** Frame types of the catalogues that have no message in the AsyncAPI document, as `client.type` / `server.type`. */
function missingFrames(catalogues: FrameCatalogues, asyncapi: Doc): string[] {
  const messages = Object.values(asyncapi.components.messages as Record<string, { name: string; title: string }>);
  const has = (type: string, direction: string) => messages.some((m) => m.name === type && m.title.includes(direction));
  return [
    ...Object.keys(catalogues.client).filter((t) => !has(t, 'client → server')).map((t) => `client.${t}`),
    ...Object.keys(catalogues.server).filter((t) => !has(t, 'server → client')).map((t) => `server.${t}`),
  ];
}

/** Error codes missing from a document's `x-error-codes`, or listed with the wrong status or retryability. */
function missingErrorCodes(codes: Record<string, number>, retryable: ReadonlySet<string>, doc: Doc): string[] {
  const table = new Map((doc['x-error-codes'] as Array<{ code: string; status: number; retryable: boolean }>).map((e) => [e.code, e]));
  return Object.entries(codes)
    .filter(([code, status]) => table.get(code)?.status !== status || table.get(code)?.retryable !== retryable.has(code))
    .map(([code]) => code);
}

/** The document's schema with every `$ref` to its components replaced by the schema it names. */
function deref(doc: Doc, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => deref(doc, item));
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as { $ref?: string }).$ref;
  if (ref?.startsWith('#/components/schemas/')) return deref(doc, doc.components.schemas[ref.slice('#/components/schemas/'.length)]);
  if (ref?.startsWith('#/components/responses/')) return deref(doc, doc.components.responses[ref.slice('#/components/responses/'.length)]);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(doc, v)]));
}

/** Checks a real response against what the OpenAPI document says the route answers with that status. */
function expectDocumented(doc: Doc, method: string, route: string, res: { status: number; body: unknown }): void {
  const responses = doc.paths[openApiPath(route).path]?.[method.toLowerCase()]?.responses;
  expect(responses, `${method} ${route} is documented`).toBeDefined();
  const declared = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`];
  expect(declared, `${method} ${route} documents status ${res.status}`).toBeDefined();
  const schema = (deref(doc, declared) as Doc).content?.['application/json']?.schema;
  if (schema === undefined) {
    expect(res.body, `${method} ${route} ${res.status} has no body`).toBeUndefined();
    return;
  }
  const validator = Compile(schema as TSchema);
  expect(validator.Errors(res.body).map((e) => `${e.instancePath} ${e.message}`), `${method} ${route} ${res.status}`).toEqual([]);
}

describe('API documents', () => {
  let database: TestDatabase;
  let server: TestServer;
  let openapi: Doc;
  let asyncapi: Doc;

  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db);
    openapi = await (await fetch(`${server.url}/api/openapi.json`)).json();
    asyncapi = await (await fetch(`${server.url}/api/asyncapi.json`)).json();
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('serves a valid OpenAPI 3.1 document', async () => {
    expect(openapi.openapi).toBe('3.1.0');
    const result = await new Validator().validate(openapi);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every event type of the Kafka event stream on its topic channel', () => {
    for (const [type, def] of Object.entries(EventCatalogue)) {
      const message = asyncapi.components.messages[`event.${type}`];
      expect(message, type).toMatchObject({ name: type, payload: { properties: { type: { const: type }, schema_version: { const: def.schemaVersion } } } });
      expect(asyncapi.channels[`events-${def.topic}`].messages[`event.${type}`]).toEqual({ $ref: `#/components/messages/event.${type}` });
    }
    expect(asyncapi.channels['events-messages']).toMatchObject({ address: '{prefix}messages', servers: [{ $ref: '#/servers/kafka' }] });
    expect(asyncapi.servers.kafka.protocol).toBe('kafka');
  });

  it('serves a valid AsyncAPI 3.0 document', async () => {
    expect(asyncapi.asyncapi).toBe('3.0.0');
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncapi));
    // Severity 0 is an error, 1 a warning; 2 and 3 are hints (such as "a newer AsyncAPI exists").
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('describes every route the server registers', () => {
    const routes = registeredRoutes(server.parley.http.printRoutes({ commonPrefix: false }));
    expect(routes).toContain('POST /api/v1/conversations/:id/messages');
    expect(routes.length).toBeGreaterThan(15);
    expect(missingRoutes(routes, openapi)).toEqual([]);
  });

  it('catches a registered route that the document lacks, and documents a new route with no edit', async () => {
    const extra = Fastify();
    const catalogue = collectRoutes(extra);
    registerApiDocsRoutes(extra, catalogue);
    extra.get('/api/v1/widgets/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async () => ({}));
    await extra.ready();
    const routes = registeredRoutes(extra.printRoutes({ commonPrefix: false }));
    // The running server's document does not know the route: the check says so.
    expect(missingRoutes(routes, openapi)).toEqual(['GET /api/v1/widgets/:id']);
    // A server that registers it documents it.
    const own = (await extra.inject({ url: '/api/openapi.json' })).json();
    expect(missingRoutes(routes, own)).toEqual([]);
    expect(own.paths['/api/v1/widgets/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    await extra.close();
  });

  it('describes every request body, parameter and query schema a route declares', () => {
    const send = openapi.paths['/api/v1/conversations/{id}/messages'].post;
    expect(send.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MessageContent' });
    expect(send.security).toEqual([{ bearer: [] }]);
    expect(openapi.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(openapi.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const history = openapi.paths['/api/v1/conversations/{id}/messages'].get.parameters.map((p: Doc) => `${p.in}:${p.name}`);
    expect(history).toEqual(['path:id', 'query:before_seq', 'query:after_seq', 'query:limit']);
    // Only JSON Schema keywords: TypeBox's markers are gone.
    expect(JSON.stringify(openapi)).not.toMatch(/"~/);
    expect(JSON.stringify(asyncapi)).not.toMatch(/"~/);
  });

  it('documents the bodies the server really sends', async () => {
    const base = server.url;
    const check = async (method: string, route: string, path: string, options: { token?: string; body?: unknown } = {}) => {
      const res = await api(base, method, path, options);
      expectDocumented(openapi, method, route, res);
      return res;
    };
    const username = uniqueName('doc');
    const password = 'correct horse battery';
    const registered = await check('POST', '/api/v1/auth/register', '/api/v1/auth/register', { body: { username, password } });
    expect(registered.status).toBe(201);
    const login = await check('POST', '/api/v1/auth/login', '/api/v1/auth/login', { body: { username, password } });
    const refreshed = await check('POST', '/api/v1/auth/refresh', '/api/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } });
    const me = { id: registered.body.user.id, username, token: refreshed.body.access_token, refreshToken: refreshed.body.refresh_token };
    const token = me.token;
    const bob = await register(base, 'docb');
    const carol = await register(base, 'docc');

    await check('POST', '/api/v1/auth/ws-ticket', '/api/v1/auth/ws-ticket', { token });
    await check('GET', '/api/v1/users/me', '/api/v1/users/me', { token });
    await check('GET', '/api/v1/users', `/api/v1/users?query=${bob.username.slice(0, 6)}`, { token });
    await check('GET', '/api/v1/users/:id', `/api/v1/users/${bob.id}`, { token });
    const direct = await check('POST', '/api/v1/conversations', '/api/v1/conversations', {
      token,
      body: { type: 'direct', member_ids: [bob.id] },
    });
    expect(direct.status).toBe(201);
    const id = direct.body.id as string;
    const message = { type: 'text', text: 'hello', client_msg_id: crypto.randomUUID() };
    expect((await check('POST', '/api/v1/conversations/:id/messages', `/api/v1/conversations/${id}/messages`, { token, body: message })).status).toBe(201);
    expect((await check('POST', '/api/v1/conversations/:id/messages', `/api/v1/conversations/${id}/messages`, { token, body: message })).status).toBe(200);
    await check('GET', '/api/v1/conversations', '/api/v1/conversations', { token });
    await check('GET', '/api/v1/conversations/:id', `/api/v1/conversations/${id}`, { token });
    await check('GET', '/api/v1/conversations/:id/members', `/api/v1/conversations/${id}/members`, { token });
    await check('GET', '/api/v1/conversations/:id/messages', `/api/v1/conversations/${id}/messages`, { token });

    const group = await createConversation(base, me, [bob], 'group');
    const groupId = group.id;
    await check('POST', '/api/v1/conversations/:id/members', `/api/v1/conversations/${groupId}/members`, { token, body: { user_ids: [carol.id] } });
    expect((await check('DELETE', '/api/v1/conversations/:id/members/:userId', `/api/v1/conversations/${groupId}/members/${carol.id}`, { token })).status).toBe(204);
    // A group's history holds system entries (membership changes) besides messages: both shapes of an entry.
    await api(base, 'POST', `/api/v1/conversations/${groupId}/messages`, { token, body: { ...message, client_msg_id: crypto.randomUUID() } });
    const history = await check('GET', '/api/v1/conversations/:id/messages', `/api/v1/conversations/${groupId}/messages`, { token });
    expect(new Set(history.body.messages.map((m: Doc) => m.message.type))).toEqual(new Set(['system', 'text']));
    await check('GET', '/api/v1/calls/ice-servers', '/api/v1/calls/ice-servers', { token });
    // Errors: the one error body, for a 4xx of a route and for an unknown path alike.
    expect((await check('GET', '/api/v1/conversations/:id', `/api/v1/conversations/${crypto.randomUUID()}`, { token })).status).toBe(404);
    expect((await check('GET', '/api/v1/users/me', '/api/v1/users/me', {})).status).toBe(401);
    await check('POST', '/api/v1/auth/password', '/api/v1/auth/password', {
      token,
      body: { current_password: password, new_password: 'another horse battery' },
    });
    expect((await check('POST', '/api/v1/auth/logout', '/api/v1/auth/logout', { body: { refresh_token: bob.refreshToken } })).status).toBe(204);
  });

  it('describes every client, server and call frame of the protocol', () => {
    expect(missingFrames(protocolFrames, asyncapi)).toEqual([]);
    // Call frames travel both ways: sent by a client, relayed to the other party.
    const calls = Object.keys(CallFrames);
    expect(calls.length).toBeGreaterThan(0);
    expect(missingFrames({ client: CallFrames, server: CallFrames }, asyncapi)).toEqual([]);
    const socketMessages = Object.keys(asyncapi.components.messages).filter((k) => !k.startsWith('event.'));
    expect(Object.keys(ClientFrames).length + Object.keys(ServerFrames).length).toBe(socketMessages.length);
  });

  it('catches a frame that the document lacks, and documents a new frame with no edit', async () => {
    const extraFrame = Type.Object({ type: Type.Literal('wave'), conversation_id: Type.String() });
    const extended: FrameCatalogues = {
      client: { ...ClientFrames, wave: extraFrame },
      server: { ...ServerFrames, waved: extraFrame },
    };
    expect(missingFrames(extended, asyncapi)).toEqual(['client.wave', 'server.waved']);
    const regenerated = buildAsyncApi(extended);
    expect(missingFrames(extended, regenerated)).toEqual([]);
    const { diagnostics } = await new Parser().parse(JSON.stringify(regenerated));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
  });

  it('lists every error code with its HTTP status and whether it is retryable', () => {
    for (const doc of [openapi, asyncapi]) expect(missingErrorCodes(ErrorCodes, retryableErrorCodes, doc)).toEqual([]);
    const errorBody = openapi.components.schemas.ErrorBody;
    expect(errorBody.properties.error.properties.code.enum).toEqual(Object.keys(ErrorCodes));
    for (const code of Object.keys(ErrorCodes)) {
      expect(openapi.info.description).toContain(`\`${code}\``);
      expect(asyncapi.info.description).toContain(`\`${code}\``);
    }
  });

  it('catches an error code that the document lacks or misstates', () => {
    const more = { ...ErrorCodes, members_page_expired: 410 };
    expect(missingErrorCodes(more, retryableErrorCodes, openapi)).toEqual(['members_page_expired']);
    // A code whose retryability changes is caught too.
    expect(missingErrorCodes(ErrorCodes, new Set([...retryableErrorCodes, 'conflict']), asyncapi)).toEqual(['conflict']);
  });

  it('states the WebSocket handshake: subprotocol, bearer token and close codes', () => {
    expect(asyncapi.info.description).toContain(`\`${SUBPROTOCOL}\``);
    expect(asyncapi.info.description).toContain(`${BEARER_PROTOCOL_PREFIX}<access token>`);
    expect(asyncapi.servers.parley).toMatchObject({ protocol: 'ws', pathname: '/ws' });
    expect(asyncapi['x-close-codes']).toEqual(Object.entries(CloseCodes).map(([name, code]) => ({ name, code })));
  });

  it('serves a docs page that renders both documents under the server CSP', async () => {
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    const html = await page.text();
    // No inline script (the CSP would block it) and no outside origin: every script is a same-origin file.
    expect([...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => [m[1]!.trim(), m[2]])).toEqual([
      ['src="/api/docs/docs.js"', ''],
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('/api/openapi.json');
    expect(html).toContain('/api/asyncapi.json');

    const script = await fetch(`${server.url}/api/docs/docs.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = await script.text();
    expect(source).toContain("'/api/openapi.json'");
    expect(source).toContain("'/api/asyncapi.json'");
    expect(source).not.toMatch(/innerHTML|eval\(|https?:\/\//);
    expect(() => new Function(source)).not.toThrow(); // it parses
  });

  it.skipIf(!existsSync(CHROMIUM_BIN))(
    `renders every operation, frame, error code, close code and schema on the docs page in Chromium${existsSync(CHROMIUM_BIN) ? '' : ` (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`}`,
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM_BIN,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--no-first-run'],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`console: ${m.text()}`);
        });
        const fetched: string[] = [];
        page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
        page.on('response', (r) => {
          if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${new URL(r.url()).pathname}`);
        });
        await page.goto(`${server.url}/api/docs`);
        await page.waitForFunction(() => (document.getElementById('docs')?.children.length ?? 0) > 1, undefined, { timeout: 10_000 });
        const { text, ids, links } = await page.evaluate(() => ({
          text: document.getElementById('docs')!.textContent ?? '',
          ids: [...document.querySelectorAll('[id]')].map((n) => n.id),
          links: [...document.querySelectorAll('a[href^="#schema-"]')].map((n) => n.getAttribute('href')!),
        }));
        expect(problems).toEqual([]);
        expect(fetched).toEqual(expect.arrayContaining(['/api/docs/docs.js', '/api/openapi.json', '/api/asyncapi.json']));
        expect(text).not.toContain('Could not load');
        for (const [path, item] of Object.entries(openapi.paths as Record<string, Doc>)) {
          for (const method of Object.keys(item)) expect(text).toContain(`${method.toUpperCase()} ${path}`);
        }
        for (const message of Object.values(asyncapi.components.messages as Record<string, { name: string }>)) {
          expect(text).toContain(message.name);
        }
        for (const code of Object.keys(ErrorCodes)) expect(text).toContain(code);
        for (const [name, code] of Object.entries(CloseCodes)) expect(text).toContain(`${code}${name}`);
        // Every schema has its own entry, and every link to a schema leads to one.
        const schemaNames = [...Object.keys(openapi.components.schemas), ...Object.keys(asyncapi.components.schemas)];
        for (const name of schemaNames) expect(ids).toContain(`schema-${name}`);
        expect(links.length).toBeGreaterThan(10);
        expect(links.filter((h) => !ids.includes(h.slice(1)))).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  it('keeps the committed copies in docs/api equal to what the server serves', async () => {
    for (const [file, path] of Object.entries(API_DOCUMENT_FILES)) {
      const served = await (await fetch(`${server.url}${path}`)).json();
      const committed = readFileSync(new URL(`../../../docs/api/${file}`, import.meta.url), 'utf8');
      expect(committed, `docs/api/${file} is stale: run npm run docs:api`).toBe(documentText(served));
    }
  });
});
