/**
 * FakeParley — an in-process fake of the Parley server, for SDK tests.
 *
 * Why it exists: the SDK's hardest code handles what a healthy server never
 * does on demand — lose a push, send one twice or out of order, close with
 * 1012 / 4000 / 4401 / 4403 / 4429, go silent, refuse a handshake, or not yet
 * speak a frame (presence). This fake speaks the same wire contract (frames
 * and bodies typed by `@parley/protocol`) over a real HTTP server and a real
 * `ws` WebSocket server on 127.0.0.1, port 0, keeps a small in-memory log per
 * conversation, and lets a test break it at will. What the real server does
 * is checked against the real server in `real-server.test.ts`.
 *
 * How to drive it:
 *
 *   const server = await FakeParley.start();
 *   const alice = server.addUser('alice');          // alice.session: a SessionData to hand to a client
 *   const conv = server.addConversation([alice.id, bob.id]);
 *   const client = new ParleyClient({ url: server.url, WebSocket, session: alice.session });
 *
 *   server.closeAll(1012)               close every socket with a code: drives a reconnect
 *   server.push(frame, userId?)         write any frame to every socket (of one user)
 *   server.append(conv.id, bob.id, 'hi', { push: false })   store a message; push it or not
 *   server.pushEntry(entry)             push a stored entry (again, or out of order)
 *   server.drop(n, filter?)             lose the next n frames the server sends (matching filter)
 *   server.received, server.frames(t)   every frame clients sent, in order
 *   server.refuseHandshakes = 503       fail upgrades with an HTTP status, as the real server does
 *   server.closeOnConnect = 1012        accept sockets, then close them before `ready`
 *   server.silent = true                send nothing at all, not even pong: a dead socket
 *   server.presence = 'unsupported'     answer presence_subscribe with unknown_type, as older servers do
 *   server.expire(token)                the token is refused: 4401 on the socket, 401 on REST
 *   server.handshakeAuth = 'http'       refuse bad tokens with HTTP 401 before the upgrade instead
 *   server.spendRefreshToken(t)         the refresh token is spent: the next refresh is refused
 *   server.refreshGate = promise        refresh requests wait for it
 *   server.cutRefreshes = n             the next n refresh requests fail at the network level
 *   server.sendFault = (frame) => …     answer a send_message with an error instead
 *   await server.close()
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BEARER_PROTOCOL_PREFIX,
  SUBPROTOCOL,
  type AuthResponse,
  type ConversationView,
  type ErrorCode,
  type MessageView,
  type ServerFrame,
  type UserId,
  type UserView,
} from '@parley/protocol';
import { toSessionData, type SessionData } from '../src/session.ts';

export interface FakeUser extends UserView {
  /** A session with fresh tokens, for `new ParleyClient({ session })`. */
  session: SessionData;
}

export interface FakeConversation {
  id: string;
  type: 'direct' | 'group';
  members: UserId[];
  log: MessageView[];
  cursors: Map<UserId, { delivered: number; read: number }>;
  created_at: string;
}

interface Peer {
  ws: WebSocket;
  userId: UserId;
  token: string;
}

type Frame = Record<string, unknown> & { type: string; id?: string };
type Filter = (frame: ServerFrame) => boolean;

export const TYPING_TTL_SECONDS = 6;

export class FakeParley {
  url = '';
  wsUrl = '';
  /** Every frame a client sent, in order, with its user. */
  readonly received: Array<{ userId: UserId; frame: Frame }> = [];
  /** Every REST request, as `METHOD /path?query`. */
  readonly requests: string[] = [];
  /** The token offered by each accepted handshake, in order. */
  readonly handshakes: string[] = [];
  readonly conversations = new Map<string, FakeConversation>();
  syncPageSize = 100;
  heartbeatInterval = 30;
  accessTtlSeconds = 900;
  silent = false;
  /** `unsupported`: answer `auth` frames with `unknown_type`, as servers before token renewal on a live socket did. */
  socketAuth: 'unsupported' | 'supported' = 'supported';
  /** `unsupported`: answer `unknown_type`, as servers before presence did. */
  presence: 'unsupported' | 'supported' = 'supported';
  refuseHandshakes: number | null = null;
  /** Accept sockets but close them at once with this code, before `ready` (the real server's 1012 when it cannot register a socket). */
  closeOnConnect: number | null = null;
  /** How a bad token is refused: `close` (4401 after the upgrade) or `http` (401 before it, as the real server does). */
  handshakeAuth: 'close' | 'http' = 'close';
  refreshGate: Promise<void> | null = null;
  /** Holds each `GET /conversations` answer until it settles; the list is read when it does (what the server has then). */
  listGate: Promise<void> | null = null;
  /** The next this-many refresh requests have their connection cut: a network failure, as the client sees it. */
  cutRefreshes = 0;
  sendFault: ((frame: Frame) => { code: ErrorCode; message?: string; retry_after?: number } | null) | null = null;

  private readonly users = new Map<UserId, UserView>();
  private readonly tokens = new Map<string, { userId: UserId; expired: boolean }>();
  private readonly refreshTokens = new Map<string, { userId: UserId; used: boolean }>();
  private readonly peers = new Set<Peer>();
  private readonly dropRules: Array<{ remaining: number; filter: Filter }> = [];
  private readonly http: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  private constructor() {
    this.http = createServer((req, res) => void this.route(req, res));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(): Promise<FakeParley> {
    const server = new FakeParley();
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    const { port } = server.http.address() as AddressInfo;
    server.url = `http://127.0.0.1:${port}`;
    server.wsUrl = `ws://127.0.0.1:${port}/ws`;
    return server;
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // --- Test controls ---------------------------------------------------------

  addUser(username: string): FakeUser {
    const user: UserView = { id: crypto.randomUUID(), username, display_name: username };
    this.users.set(user.id, user);
    return { ...user, session: toSessionData(this.issue(user.id), Date.now()) };
  }

  /** New tokens for a user, as login or refresh would give. */
  issue(userId: UserId): AuthResponse {
    const access = `at-${crypto.randomUUID()}`;
    const refresh = `rt-${crypto.randomUUID()}`;
    this.tokens.set(access, { userId, expired: false });
    this.refreshTokens.set(refresh, { userId, used: false });
    return { user: this.users.get(userId)!, access_token: access, refresh_token: refresh, expires_in: this.accessTtlSeconds };
  }

  addConversation(members: UserId[], type: 'direct' | 'group' = members.length === 2 ? 'direct' : 'group'): FakeConversation {
    const conv: FakeConversation = {
      id: crypto.randomUUID(),
      type,
      members,
      log: [],
      cursors: new Map(members.map((m) => [m, { delivered: 0, read: 0 }])),
      created_at: new Date().toISOString(),
    };
    this.conversations.set(conv.id, conv);
    return conv;
  }

  /** Stores a message from `senderId`, and pushes it to the members' sockets unless `push` is false. */
  append(conversationId: string, senderId: UserId, text: string, { push = true } = {}): MessageView {
    const conv = this.conversations.get(conversationId)!;
    const entry: MessageView = {
      conversation_id: conv.id,
      seq: conv.log.length + 1,
      message_id: crypto.randomUUID(),
      sender_id: senderId,
      message: { type: 'text', text, attachments: [], client_msg_id: crypto.randomUUID(), sent_at: new Date().toISOString() },
      created_at: new Date().toISOString(),
    };
    conv.log.push(entry);
    const me = conv.cursors.get(senderId);
    if (me) me.delivered = me.read = entry.seq;
    if (push) this.pushEntry(entry);
    return entry;
  }

  /** Pushes a stored entry as a `message` frame to the members (or one user). */
  pushEntry(entry: MessageView, toUserId?: UserId): void {
    const members = toUserId ? [toUserId] : this.conversations.get(entry.conversation_id)!.members;
    for (const userId of members) this.push({ type: 'message', ...entry }, userId);
  }

  /** Writes a frame to every open socket, or to one user's. */
  push(frame: ServerFrame, toUserId?: UserId): void {
    for (const peer of this.peers) if (!toUserId || peer.userId === toUserId) this.send(peer, frame);
  }

  /** Loses the next `n` frames the server would send that match `filter`. */
  drop(n: number, filter: Filter = () => true): void {
    this.dropRules.push({ remaining: n, filter });
  }

  closeAll(code: number, reason = 'fake server'): void {
    for (const peer of this.peers) peer.ws.close(code, reason);
  }

  /** Spends a refresh token, so presenting it again is `refresh_token_reused`. */
  spendRefreshToken(token: string): void {
    const known = this.refreshTokens.get(token);
    if (known) known.used = true;
  }

  expire(token: string): void {
    const known = this.tokens.get(token);
    if (known) known.expired = true;
  }

  /** The token each open socket of a user currently runs on (its handshake token, or the last `auth`). */
  socketTokens(userId: UserId): string[] {
    return [...this.peers].filter((p) => p.userId === userId).map((p) => p.token);
  }

  /** Open sockets, of one user or all. */
  sockets(userId?: UserId): number {
    return [...this.peers].filter((p) => !userId || p.userId === userId).length;
  }

  /** Frames clients sent, of one type or all. */
  frames(type?: string): Frame[] {
    return this.received.map((r) => r.frame).filter((f) => !type || f.type === type);
  }

  view(conv: FakeConversation, viewer: UserId): ConversationView {
    const mine = conv.cursors.get(viewer)!;
    return {
      id: conv.id,
      type: conv.type,
      title: null,
      description: null,
      members: conv.members.map((id) => ({
        ...this.users.get(id)!,
        role: 'member',
        delivered_seq: conv.cursors.get(id)!.delivered,
        read_seq: conv.cursors.get(id)!.read,
      })),
      member_count: conv.members.length,
      last_seq: conv.log.length,
      read_seq: mine.read,
      delivered_seq: mine.delivered,
      unread_count: conv.log.filter((e) => e.seq > mine.read && e.sender_id !== viewer && e.message.type !== 'system').length,
      mention_count: 0,
      settings: { pin_policy: 'admins', everyone_policy: 'members' },
      last_message: conv.log.at(-1) ?? null,
      created_at: conv.created_at,
    };
  }

  // --- WebSocket ------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.refuseHandshakes !== null) {
      socket.end(`HTTP/1.1 ${this.refuseHandshakes} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const token = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))?.slice(BEARER_PROTOCOL_PREFIX.length) ?? '';
    const valid = this.tokens.get(token)?.expired === false;
    if (!valid && this.handshakeAuth === 'http') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      if (token) return this.admit(ws, token);
      // No credentials in the handshake: the first frame must be `auth`.
      ws.once('message', (data) => {
        const frame = JSON.parse(data.toString()) as Frame;
        this.received.push({ userId: '', frame });
        if (frame.type === 'auth') this.admit(ws, String(frame.token));
        else ws.close(4401, 'authenticate first');
      });
    });
  }

  private admit(ws: WebSocket, token: string): void {
    const auth = this.tokens.get(token);
    // Refused after the upgrade, so the client sees the close code (the real server answers a bad
    // handshake token with HTTP 401, and a bad `auth` frame with 4401).
    if (!auth || auth.expired) {
      ws.close(4401, 'token expired');
      return;
    }
    if (this.closeOnConnect !== null) {
      ws.close(this.closeOnConnect, 'try again');
      return;
    }
    this.handshakes.push(token);
    const peer: Peer = { ws, userId: auth.userId, token };
    this.peers.add(peer);
    ws.on('close', () => this.peers.delete(peer));
    ws.on('message', (data) => this.onFrame(peer, data.toString()));
    this.send(peer, { type: 'ready', user_id: auth.userId, connection_id: crypto.randomUUID(), heartbeat_interval: this.heartbeatInterval });
  }

  private send(peer: Peer, frame: ServerFrame): void {
    if (this.silent || peer.ws.readyState !== peer.ws.OPEN) return;
    const rule = this.dropRules.find((r) => r.remaining > 0 && r.filter(frame));
    if (rule) {
      rule.remaining--;
      return;
    }
    peer.ws.send(JSON.stringify(frame));
  }

  private reply(peer: Peer, frame: Frame, error: { code: ErrorCode; message?: string; retry_after?: number }): void {
    this.send(peer, { type: 'error', id: frame.id, code: error.code, message: error.message ?? error.code, ...(error.retry_after !== undefined ? { retry_after: error.retry_after } : {}) });
  }

  private onFrame(peer: Peer, raw: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      this.send(peer, { type: 'error', code: 'malformed_json', message: 'not JSON' });
      return;
    }
    this.received.push({ userId: peer.userId, frame });
    const me = peer.userId;
    const conv = typeof frame.conversation_id === 'string' ? this.conversations.get(frame.conversation_id) : undefined;
    const member = conv?.members.includes(me) ?? false;
    switch (frame.type) {
      case 'ping':
        this.send(peer, { type: 'pong', id: frame.id });
        return;
      case 'send_message': {
        const fault = this.sendFault?.(frame);
        if (fault) return this.reply(peer, frame, fault);
        if (!conv || !member) return this.reply(peer, frame, { code: 'conversation_not_found' });
        const message = frame.message as { text: string; client_msg_id: string; sent_at?: string };
        const prior = conv.log.find(
          (e) => e.sender_id === me && e.message.type === 'text' && e.message.client_msg_id === message.client_msg_id,
        );
        const entry = prior ?? this.append(conv.id, me, message.text, { push: false });
        if (!prior) entry.message = { type: 'text', text: message.text, attachments: [], client_msg_id: message.client_msg_id, sent_at: message.sent_at };
        const { conversation_id, seq, message_id, created_at } = entry;
        this.send(peer, { type: 'ack', id: frame.id, conversation_id, seq, message_id, created_at, duplicate: !!prior });
        if (!prior) this.pushEntry(entry);
        return;
      }
      case 'sync': {
        const all = frame.cursors as Record<string, number>;
        // Like the server: conversations the user is not in are skipped and listed as removed.
        const removed = Object.keys(all).filter((id) => !this.conversations.get(id)?.members.includes(me));
        const cursors = Object.fromEntries(Object.entries(all).filter(([id]) => !removed.includes(id)));
        const next: Record<string, number> = {};
        let limited = false;
        for (const [id, from] of Object.entries(cursors)) {
          const log = this.conversations.get(id)!.log;
          const page = log.filter((e) => e.seq > from).slice(0, this.syncPageSize);
          for (const entry of page) this.send(peer, { type: 'message', ...entry });
          next[id] = page.at(-1)?.seq ?? from;
          if (next[id]! < log.length) limited = true;
        }
        this.send(peer, { type: 'synced', id: frame.id, limited, cursors: next, removed });
        return;
      }
      case 'delivered':
      case 'read': {
        if (!conv || !member) return this.reply(peer, frame, { code: 'conversation_not_found' });
        const cursor = conv.cursors.get(me)!;
        const seq = Math.min(frame.seq as number, conv.log.length);
        cursor.delivered = Math.max(cursor.delivered, seq);
        if (frame.type === 'read') cursor.read = Math.max(cursor.read, seq);
        const receipt = { type: 'receipt', conversation_id: conv.id, user_id: me, delivered_seq: cursor.delivered, read_seq: cursor.read } as const;
        for (const userId of conv.members) this.push(receipt, userId);
        if (frame.id) this.send(peer, { ...receipt, id: frame.id });
        return;
      }
      case 'typing':
        if (!conv || !member) return this.reply(peer, frame, { code: 'conversation_not_found' });
        for (const userId of conv.members.filter((m) => m !== me)) {
          this.push({ type: 'typing', conversation_id: conv.id, user_id: me, state: frame.state as 'start' | 'stop', expires_in: TYPING_TTL_SECONDS }, userId);
        }
        return;
      case 'auth': {
        if (this.socketAuth === 'unsupported') return this.reply(peer, frame, { code: 'unknown_type' });
        const next = this.tokens.get(String(frame.token));
        if (!next || next.expired || next.userId !== me) return this.reply(peer, frame, { code: 'unauthenticated' });
        peer.token = String(frame.token);
        this.send(peer, { type: 'authenticated', id: frame.id, expires_at: new Date(Date.now() + this.accessTtlSeconds * 1000).toISOString() } as unknown as ServerFrame);
        return;
      }
      case 'presence_subscribe':
        if (this.presence === 'unsupported') return this.reply(peer, frame, { code: 'unknown_type', message: 'unknown frame type "presence_subscribe"' });
        for (const userId of frame.user_ids as string[]) {
          const online = [...this.peers].some((p) => p.userId === userId);
          this.send(peer, { type: 'presence', id: frame.id, user_id: userId, status: online ? 'online' : 'offline', last_seen: null });
        }
        return;
      default:
        this.reply(peer, frame, { code: 'unknown_type' });
    }
  }

  // --- REST -----------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    let body: Record<string, unknown> = {};
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString()));
      req.on('end', () => resolve(data));
    });
    if (text) body = JSON.parse(text) as Record<string, unknown>;
    const json = (status: number, value?: unknown): void => {
      res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
      res.end(value === undefined ? undefined : JSON.stringify(value));
    };
    const fail = (status: number, code: ErrorCode): void => json(status, { error: { code, message: code } });
    const path = url.pathname.replace(/^\/api\/v1/, '');

    if (req.method === 'POST' && path === '/auth/refresh') {
      if (this.refreshGate) await this.refreshGate;
      if (this.cutRefreshes > 0) {
        this.cutRefreshes--;
        req.socket.destroy();
        return;
      }
      const known = this.refreshTokens.get(String(body.refresh_token));
      if (!known) return fail(401, 'invalid_refresh_token');
      if (known.used) return fail(401, 'refresh_token_reused');
      known.used = true;
      return json(200, this.issue(known.userId));
    }
    if (req.method === 'POST' && path === '/auth/logout') return json(204);
    if (req.method === 'POST' && (path === '/auth/login' || path === '/auth/register')) {
      const user = [...this.users.values()].find((u) => u.username === body.username);
      if (path === '/auth/register') return json(201, this.issue(this.addUser(String(body.username)).id));
      return user ? json(200, this.issue(user.id)) : fail(401, 'invalid_credentials');
    }

    const token = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const auth = this.tokens.get(token);
    if (!auth) return fail(401, 'unauthenticated');
    if (auth.expired) return fail(401, 'token_expired');
    const me = auth.userId;

    if (req.method === 'GET' && path === '/users/me') return json(200, this.users.get(me));
    if (req.method === 'GET' && path === '/conversations') {
      if (this.listGate) await this.listGate;
      const mine = [...this.conversations.values()].filter((c) => c.members.includes(me));
      return json(200, { conversations: mine.map((c) => this.view(c, me)) });
    }
    const match = /^\/conversations\/([^/]+)(\/messages)?$/.exec(path);
    const conv = match ? this.conversations.get(match[1]!) : undefined;
    if (!match || req.method !== 'GET') return fail(404, 'not_found');
    if (!conv || !conv.members.includes(me)) return fail(404, 'conversation_not_found');
    if (!match[2]) return json(200, this.view(conv, me));

    const limit = Number(url.searchParams.get('limit') ?? 50);
    const after = url.searchParams.get('after_seq');
    const before = url.searchParams.get('before_seq');
    let range = conv.log.filter((e) => (after === null || e.seq > Number(after)) && (before === null || e.seq < Number(before)));
    const hasMore = range.length > limit;
    range = after === null ? range.slice(-limit) : range.slice(0, limit);
    return json(200, { messages: range, has_more: hasMore });
  }
}
