import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  BEARER_PROTOCOL_PREFIX,
  CloseCodes,
  MAX_FRAME_BYTES,
  SUBPROTOCOL,
  type ErrorBody,
  type UserId,
} from '@parley/protocol';
import type { Config } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import type { AuthService } from '../auth/auth-service.ts';
import type { MessagingService } from '../messaging/messaging-service.ts';
import type { PresenceService } from '../presence/presence-service.ts';
import type { Metrics } from '../metrics.ts';
import { Connection } from './connection.ts';
import { decodeFrame } from './decode-frame.ts';
import { handleFrame } from './handle-frame.ts';
import type { Hub } from './hub.ts';

export const WS_PATH = '/ws';
// Frames of one socket are handled in order; past this many waiting, the
// socket stops being read until the queue drains (TCP pushes back on the client).
const MAX_QUEUED_FRAMES = 64;

export interface GatewayDeps {
  config: Pick<Config, 'publicOrigins' | 'ws'>;
  tokens: AccessTokens;
  auth: AuthService;
  messaging: MessagingService;
  presence: PresenceService;
  hub: Hub;
  metrics: Metrics;
  log: Logger;
}

/**
 * The WebSocket edge: authenticates the HTTP upgrade before any 101, decodes
 * frames, hands typed commands to the capabilities, and keeps sockets honest
 * with heartbeats. It holds no state a reconnecting client needs: any
 * instance can take any client, which resumes by cursor.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = true;

  constructor(private readonly deps: GatewayDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
      // Select parley.v1; the bearer.<token> entry is never echoed back.
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.heartbeat = setInterval(() => this.beat(), deps.config.ws.heartbeatInterval * 1000);
    this.heartbeat.unref();
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch((err: unknown) => {
        this.deps.log.error({ err }, 'upgrade failed');
        rejectUpgrade(socket, 500, new AppError('internal', 'internal server error'));
      });
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return rejectUpgrade(socket, 404, new AppError('not_found', 'no such endpoint'));
    if (!this.accepting) return rejectUpgrade(socket, 503, new AppError('unavailable', 'server is shutting down'));
    const origin = req.headers.origin;
    const allowed = this.deps.config.publicOrigins;
    if (origin && allowed.length > 0 && !allowed.includes(origin)) {
      return rejectUpgrade(socket, 403, new AppError('forbidden', 'origin not allowed'));
    }
    let userId: UserId;
    try {
      userId = await this.authenticate(req, url);
    } catch (err) {
      const e = toAppError(err);
      return rejectUpgrade(socket, e.status, e);
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, userId));
  }

  /** Token from the `bearer.` subprotocol, the Authorization header, or a one-use `?ticket=`. */
  private async authenticate(req: IncomingMessage, url: URL): Promise<UserId> {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
    if (bearer) return (await this.deps.tokens.verify(bearer.slice(BEARER_PROTOCOL_PREFIX.length))).userId;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return (await this.deps.tokens.verify(header.slice(7))).userId;
    const ticket = url.searchParams.get('ticket');
    if (ticket) {
      const userId = await this.deps.auth.redeemWsTicket(ticket);
      if (userId) return userId;
      throw new AppError('unauthenticated', 'ticket is unknown, used or expired');
    }
    throw new AppError('unauthenticated', 'no credentials');
  }

  private async accept(ws: WebSocket, userId: UserId): Promise<void> {
    const { hub, log, config } = this.deps;
    const conn = new Connection(ws, userId, config.ws.maxBufferedBytes);
    // Without an error listener an oversized frame would throw and kill the process;
    // ws then closes the socket itself (1009 for too large).
    ws.on('error', (err) => log.debug({ err: err.message, conn: conn.id }, 'socket error'));
    ws.on('pong', () => (conn.alive = true));

    let queue = Promise.resolve();
    let queued = 0;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        conn.sendFrame({ type: 'error', code: 'validation_failed', message: 'frames are JSON text' });
        return;
      }
      if (++queued > MAX_QUEUED_FRAMES) conn.pause();
      const raw = data.toString();
      const job = queue.then(() => this.handle(conn, raw)).finally(() => {
        if (--queued <= MAX_QUEUED_FRAMES) conn.resume();
      });
      queue = job;
      this.track(job);
    });
    const device = { userId, connectionId: conn.id };
    ws.on('close', () => {
      hub.remove(conn);
      this.deps.presence.disconnected(device).catch((err: unknown) => log.warn({ err }, 'presence disconnect failed'));
    });

    try {
      await hub.add(conn);
    } catch (err) {
      log.error({ err }, 'could not register socket');
      conn.close(CloseCodes.serviceRestart, 'try again');
      return;
    }
    conn.sendFrame({
      type: 'ready',
      user_id: userId,
      connection_id: conn.id,
      heartbeat_interval: config.ws.heartbeatInterval,
    });
    // Presence lives in Redis in the scaled tier: an outage must not cost the connection.
    this.deps.presence.connected(device).catch((err: unknown) => log.warn({ err }, 'presence connect failed'));
  }

  private async handle(conn: Connection, raw: string): Promise<void> {
    const decoded = decodeFrame(raw);
    if (!decoded.ok) {
      conn.sendFrame({ type: 'error', id: decoded.id, code: decoded.error.code, message: decoded.error.message });
      return;
    }
    const id = decoded.frame.id;
    const started = performance.now();
    try {
      await handleFrame(decoded.frame, conn, this.deps);
      this.deps.metrics.frameSeconds.observe({ type: decoded.frame.type }, (performance.now() - started) / 1000);
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'internal') this.deps.log.error({ err, frame: decoded.frame.type }, 'frame handler failed');
      conn.sendFrame({
        type: 'error',
        id,
        code: e.code,
        message: e.message,
        ...(e.retryAfter !== undefined ? { retry_after: e.retryAfter } : {}),
      });
    }
  }

  private track(job: Promise<void>): void {
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  private beat(): void {
    for (const conn of this.deps.hub.connections()) {
      if (!conn.alive) {
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ping();
    }
  }

  /**
   * Graceful stop: refuses new sockets, lets in-flight frames finish (so every
   * send that was received is acked), takes this instance's devices offline,
   * then closes every socket with 1012 so clients reconnect elsewhere.
   */
  async close(): Promise<void> {
    this.accepting = false;
    clearInterval(this.heartbeat);
    await Promise.allSettled([...this.inFlight]);
    const connections = [...this.deps.hub.connections()];
    await this.deps.presence.stop(connections.map((c) => ({ userId: c.userId, connectionId: c.id })));
    for (const conn of connections) conn.close(CloseCodes.serviceRestart, 'server restart');
    this.wss.close();
  }
}

function rejectUpgrade(socket: Duplex, status: number, error: AppError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: error.code, message: error.message } } satisfies ErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
