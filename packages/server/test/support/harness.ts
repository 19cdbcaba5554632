import { Writable } from 'node:stream';
import type { AuthResponse, ConversationView } from '@parley/protocol';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createParley, type Parley } from '../../src/parley.ts';
import type { Bus } from '../../src/bus/bus.ts';
import type { PresenceStore } from '../../src/presence/presence-store.ts';
import type { CallStore } from '../../src/calls/call-store.ts';
import type { Database } from '../../src/store/database.ts';
import { TestSocket } from './test-socket.ts';

export interface TestServer {
  parley: Parley;
  url: string;
  wsUrl: string;
  /** Every log line the server wrote, as JSON text. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Rate limits high enough that suites about other things never meet them
 * (they register many users from one address and send in bursts). The
 * security suites set their own.
 */
export const GENEROUS_LIMITS: Record<string, string> = Object.fromEntries(
  ['MESSAGES', 'TYPING', 'PRESENCE', 'CALLS', 'INVITES', 'ICE', 'SYNC', 'FRAMES', 'REST', 'PUBLIC', 'LOGIN_ACCOUNT', 'LOGIN_IP', 'UPLOADS', 'SEARCH'].map((n) => [`RATE_LIMIT_${n}`, '100000:100000']),
);

/** A real server on 127.0.0.1 port 0, over the given database, logging into memory. */
export async function startServer(
  db: Database,
  options: { bus?: Bus; presence?: PresenceStore; calls?: CallStore; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...GENEROUS_LIMITS, ...options.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger('debug', sink);
  const parley = await createParley(config, { db, bus: options.bus, presence: options.presence, calls: options.calls, log });
  const url = await parley.listen();
  return { parley, url, wsUrl: url.replace('http', 'ws') + '/ws', logs, close: () => parley.close() };
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

let counter = 0;
/** A username unique across test runs that share a database. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
}

export async function api<T = any>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function register(base: string, prefix = 'u'): Promise<TestUser> {
  const username = uniqueName(prefix);
  const res = await api<AuthResponse>(base, 'POST', '/api/v1/auth/register', {
    body: { username, password: 'correct horse battery' },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.access_token, refreshToken: res.body.refresh_token };
}

export async function createConversation(
  base: string,
  creator: TestUser,
  others: TestUser[],
  type: 'direct' | 'group' = others.length === 1 ? 'direct' : 'group',
): Promise<ConversationView> {
  const res = await api<ConversationView>(base, 'POST', '/api/v1/conversations', {
    token: creator.token,
    body: { type, member_ids: others.map((o) => o.id), ...(type === 'group' ? { title: 'test group' } : {}) },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function connect(server: Pick<TestServer, 'wsUrl'>, user: TestUser): Promise<TestSocket> {
  return TestSocket.open(server.wsUrl, user.token);
}

export function textMessage(text: string, clientMsgId: string = crypto.randomUUID()) {
  return { type: 'text', text, client_msg_id: clientMsgId, sent_at: new Date().toISOString() };
}

export async function sendMessage(socket: TestSocket, conversationId: string, text: string, clientMsgId?: string) {
  return socket.request({ type: 'send_message', conversation_id: conversationId, message: textMessage(text, clientMsgId) });
}
