import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CloseCodes, MAX_FRAME_BYTES, SUBPROTOCOL, type ClientFrame } from '@parley/protocol';
import type { Config } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AccessTokens, VerifiedToken } from '../auth/access-tokens.ts';
import type { AuthService } from '../auth/auth-service.ts';
import type { RevokedSessions } from '../auth/revoked-sessions.ts';
import type { MessagingService } from '../messaging/messaging-service.ts';
import type { MessageChanges } from '../messaging/message-changes.ts';
import type { Threads } from '../messaging/threads.ts';
import type { LocalDevice, PresenceService } from '../presence/presence-service.ts';
import type { CallService } from '../calls/call-service.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Metrics } from '../metrics.ts';
import type { Audit } from '../audit.ts';
import { Connection } from './connection.ts';
import { socketListeners } from './socket-events.ts';
import { decodeFrame } from './decode-frame.ts';
import { dispatch, frameHandlers, type FrameHandlers } from './frame-handlers.ts';
import { endFrameSpan, startFrameSpan, withSpan } from '../tracing/spans.ts';
import type { Span } from '@opentelemetry/api';
import { checkFrame } from '../bots/scope.ts';
import { closeCodeOf, errorFrame, ErrorObserver, rawHttpError } from '../wire-errors.ts';
import { FrameLimits } from './frame-limits.ts';
import { ExpiryWheel } from './expiry-wheel.ts';
import { authenticateHandshake, Unauthenticated } from './handshake.ts';
import { clientAddress } from '../http/client-address.ts';
import type { Hub } from './hub.ts';

export const WS_PATH = '/ws';

export interface GatewayDeps {
  config: Pick<Config, 'publicOrigins' | 'ws' | 'security' | 'limits'>;
  tokens: AccessTokens;
  auth: AuthService;
  /** Sessions ended on another instance: their sockets here are closed even if the bus lost the `revoke`. */
  revoked: Pick<RevokedSessions, 'onRevoked'>;
  messaging: MessagingService;
  changes: MessageChanges;
  threads: Threads;
  presence: PresenceService;
  calls: CallService;
  hub: Hub;
  limiter: RateLimiter;
  metrics: Metrics;
  audit: Audit;
  log: Logger;
}

/**
 * The WebSocket edge: authenticates the HTTP upgrade before any 101, decodes
 * frames, applies limits, hands typed commands to the capabilities, and keeps
 * sockets honest with heartbeats and token expiry. It holds no state a
 * reconnecting client needs: any instance can take any client, which resumes
 * by cursor.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly timers: NodeJS.Timeout[];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly unauthenticated: Unauthenticated;
  private readonly expiry = new ExpiryWheel<Connection>();
  private readonly frameLimits: FrameLimits;
  private readonly handlers: FrameHandlers;
  private readonly errors: ErrorObserver;
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
    this.unauthenticated = new Unauthenticated(deps.config.security.maxUnauthenticatedPerIp);
    this.frameLimits = new FrameLimits(deps.limiter, deps.config.limits);
    this.errors = new ErrorObserver(deps.log, deps.audit, deps.metrics);
    this.handlers = frameHandlers({
      messaging: deps.messaging,
      changes: deps.changes,
      threads: deps.threads,
      presence: deps.presence,
      calls: deps.calls,
      hub: deps.hub,
      tokens: deps.tokens,
      syncPageSize: deps.config.ws.syncPageSize,
      onReauthenticated: (conn) => this.expiry.set(conn, conn.expiresAt),
    });
    this.timers = [
      setInterval(() => this.beat(), deps.config.ws.heartbeatInterval * 1000),
      // One timer for every socket's token expiry.
      setInterval(() => this.expireTokens(), 1000),
    ];
    for (const t of this.timers) t.unref();
    // Revocations are rare: a scan of this instance's sockets per batch is cheap.
    deps.revoked.onRevoked((sessions) => {
      for (const conn of deps.hub.connections()) {
        if (sessions.has(conn.sessionId)) conn.close(CloseCodes.unauthenticated, 'session ended');
      }
    });
  }

  /** Sockets holding an unauthenticated slot (exported as a metric). */
  get unauthenticatedCount(): number {
    return this.unauthenticated.total;
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', destroySocket);
      this.upgrade(req, socket, head).catch((err: unknown) => {
        this.deps.log.error({ err }, 'upgrade failed');
        this.refuse(socket, new AppError('internal', 'internal server error'));
      });
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { config, audit } = this.deps;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return this.refuse(socket, new AppError('not_found', 'no such endpoint'));
    if (!this.accepting) return this.refuse(socket, new AppError('unavailable', 'server is shutting down'));
    const ip = clientAddress(req, config.security.trustProxyHops);
    const origin = req.headers.origin;
    if (origin && config.publicOrigins.length > 0 && !config.publicOrigins.includes(origin)) {
      audit.event('handshake_rejected', { reason: 'origin', origin, ip });
      return this.refuse(socket, new AppError('forbidden', 'origin not allowed'));
    }
    let token: VerifiedToken | null;
    try {
      token = await authenticateHandshake(req, url, this.deps);
    } catch (err) {
      const e = toAppError(err);
      audit.event('handshake_rejected', { reason: e.code, ip });
      return this.refuse(socket, e);
    }
    if (token === null) {
      // No credentials: upgrade, and wait (holding one of the address' slots) for an `auth` frame.
      if (!this.unauthenticated.enter(ip)) {
        audit.event('rate_limited', { scope: 'unauthenticated', ip });
        return this.refuse(socket, new AppError('rate_limited', 'too many unauthenticated sockets', { retryAfter: 1 }));
      }
      if (socket.destroyed) return this.unauthenticated.leave(ip);
      // ws answers a malformed upgrade (no or bad Sec-WebSocket-Key, wrong
      // version, bad subprotocol list) itself and never calls back: until the
      // socket is handed to awaitAuth, its closing gives the slot back.
      let handedOver = false;
      socket.once('close', () => {
        if (!handedOver) this.unauthenticated.leave(ip);
      });
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        handedOver = true;
        this.deps.metrics.handshakes.inc({ result: 'awaiting_auth' });
        this.awaitAuth(ws, ip);
      });
      return;
    }
    const verified = token;
    if (this.deps.hub.countOf(verified.userId) >= config.security.maxConnectionsPerUser) {
      audit.event('rate_limited', { scope: 'connections', user_id: verified.userId, ip });
      return this.refuse(socket, new AppError('rate_limited', 'too many connections for this user', { retryAfter: 5 }));
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.deps.metrics.handshakes.inc({ result: 'accepted' });
      void this.accept(ws, verified, ip);
    });
  }

  /** Answers an upgrade with an HTTP error instead of a 101, and counts it by code. */
  private refuse(socket: Duplex, error: AppError): void {
    this.deps.metrics.handshakes.inc({ result: error.code });
    rejectUpgrade(socket, error);
  }

  /**
   * A socket opened without credentials: its first frame must be `auth`, within
   * WS_AUTH_TIMEOUT seconds (else 4408); a bad token closes it with 4401.
   */
  private awaitAuth(ws: WebSocket, ip: string): void {
    const { tokens, audit, log, config } = this.deps;
    let waiting = true;
    const release = () => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(deadline);
      this.unauthenticated.leave(ip);
    };
    const deadline = setTimeout(() => {
      audit.event('handshake_rejected', { reason: 'auth_timeout', ip });
      ws.close(CloseCodes.authTimeout, 'authenticate in time');
    }, config.ws.authTimeout * 1000);
    ws.on('error', (err) => log.debug({ err: err.message }, 'socket error'));
    ws.once('close', release);
    // Frames the client sends right behind `auth` are kept and handled, in order, once it is set up.
    const backlog: string[] = [];
    let first = true;
    const onMessage = (data: WebSocket.RawData) => {
      if (!first) {
        backlog.push(data.toString());
        return;
      }
      first = false;
      const decoded = decodeFrame(data.toString());
      if (!decoded.ok || decoded.frame.type !== 'auth') {
        ws.close(CloseCodes.unauthenticated, 'authenticate first');
        return;
      }
      // A paused socket cannot complete a closing handshake: resume before any close below.
      ws.pause();
      tokens.verify(decoded.frame.token).then(
        (token) => {
          release();
          if (this.deps.hub.countOf(token.userId) >= config.security.maxConnectionsPerUser) {
            ws.resume();
            ws.close(CloseCodes.rateLimited, 'too many connections for this user');
            return;
          }
          ws.off('message', onMessage);
          void this.accept(ws, token, ip, backlog);
        },
        (err: unknown) => {
          audit.event('handshake_rejected', { reason: toAppError(err).code, ip });
          ws.resume();
          ws.close(CloseCodes.unauthenticated, 'invalid token');
        },
      );
    };
    ws.on('message', onMessage);
  }

  private async accept(ws: WebSocket, token: VerifiedToken, ip: string, backlog: string[] = []): Promise<void> {
    const { hub, log, config, presence } = this.deps;
    const conn = new Connection(ws, token.userId, token.sessionId, token.expiresAt, ip, config.ws.maxBufferedBytes);
    conn.scope = token.scope ?? null;
    this.listen(ws, conn);
    for (const raw of backlog) this.enqueue(conn, raw);
    ws.resume();

    try {
      await hub.add(conn);
    } catch (err) {
      log.error({ err }, 'could not register socket');
      conn.close(CloseCodes.serviceRestart, 'try again');
      conn.startHandling();
      return;
    }
    this.expiry.set(conn, token.expiresAt);
    conn.sendReady({ type: 'ready', user_id: token.userId, connection_id: conn.id, heartbeat_interval: config.ws.heartbeatInterval });
    // Presence lives in Redis in the scaled tier: an outage must not cost the connection.
    presence.connected(deviceOf(conn)).catch((err: unknown) => log.warn({ err }, 'presence connect failed'));
    // A device that connects while a call rings it rings too (an expired invite does not).
    this.deps.calls.ringingFor(token.userId).then(
      (invites) => invites.forEach((f) => conn.sendFrame(f)),
      (err: unknown) => log.warn({ err }, 'could not load ringing calls'),
    );
  }

  /** A socket's events (socket-events.ts: listeners shared by every socket). */
  private readonly listen = socketListeners({
    message: (conn, data, isBinary) => {
      if (!this.accepting) conn.sendFrame({ type: 'error', code: 'unavailable', message: 'server is restarting: send again after reconnecting' });
      else if (isBinary) conn.sendFrame({ type: 'error', code: 'validation_failed', message: 'frames are JSON text' });
      else this.enqueue(conn, data.toString());
    },
    close: (conn) => {
      const code = conn.serverCloseCode;
      if (code !== null) this.deps.metrics.serverCloses.inc({ reason: CLOSE_REASONS.get(code) ?? String(code) });
      this.deps.hub.remove(conn);
      this.expiry.delete(conn);
      this.frameLimits.forget(conn);
      this.deps.presence.disconnected(deviceOf(conn)).catch((err: unknown) => this.deps.log.warn({ err }, 'presence disconnect failed'));
    },
    error: (conn, err) => this.deps.log.debug({ err: err.message, conn: conn.id }, 'socket error'),
  });

  /** Frames are handled in order, and only after `ready`: a client may send right away. */
  private enqueue(conn: Connection, raw: string): void {
    this.track(conn.enqueue(() => this.handle(conn, raw)));
  }

  /**
   * Handles one frame: decode, limits, the handler of its type. A pipelined
   * frame (a send) is answered when its job settles, while the socket's next
   * frames go on.
   */
  private async handle(conn: Connection, raw: string): Promise<void> {
    const decoded = decodeFrame(raw);
    if (!decoded.ok) {
      this.deps.metrics.frames.inc({ type: 'undecoded', outcome: decoded.error.code });
      conn.sendFrame(errorFrame(decoded.error, decoded.id));
      return;
    }
    const { frame } = decoded;
    // Tracing hook (src/tracing): one span per decoded frame, active while it is
    // handled (statements and publishes become its children) and ended with the
    // frame's outcome in `done` / `reject`. Undefined, and nothing wrapped, when off.
    const span = startFrameSpan(frame.type);
    return span === undefined ? this.run(conn, frame) : withSpan(span, () => this.run(conn, frame, span));
  }

  private async run(conn: Connection, frame: ClientFrame, span?: Span): Promise<void> {
    const started = performance.now();
    const done = () => {
      this.deps.metrics.frameHandled(frame.type, (performance.now() - started) / 1000);
      endFrameSpan(span, 'ok');
    };
    try {
      await this.frameLimits.check(conn, frame);
      // A bot token's scope (bots/scope.ts): frames outside it are refused before any handler runs.
      checkFrame(conn.scope, frame);
      const outcome = await dispatch(this.handlers, frame, conn);
      if (outcome) this.track(outcome.done.then(done, (err: unknown) => this.reject(conn, frame, err, span)));
      else done();
    } catch (err) {
      this.reject(conn, frame, err, span);
    }
  }

  /** Answers a frame that failed with an `error` frame (and strikes it as needed). */
  private reject(conn: Connection, frame: ClientFrame, err: unknown, span?: Span): void {
    const e = this.errors.observe(err, { action: frame.type, userId: conn.userId });
    this.deps.metrics.frames.inc({ type: frame.type, outcome: e.code });
    endFrameSpan(span, e.code, e.status >= 500);
    if (e.code === 'rate_limited') {
      this.deps.audit.event('rate_limited', { scope: frame.type, user_id: conn.userId, ip: conn.ip });
      if (this.frameLimits.strike(conn)) {
        conn.close(closeCodeOf(e), 'rate limited');
        return;
      }
    }
    conn.sendFrame(errorFrame(e, frame.id));
  }

  private expireTokens(): void {
    for (const conn of this.expiry.expire(Math.floor(Date.now() / 1000))) {
      conn.close(CloseCodes.unauthenticated, 'token expired');
    }
  }

  private track(job: Promise<void>): void {
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  private beat(): void {
    for (const conn of this.deps.hub.connections()) {
      if (!conn.alive) {
        this.deps.metrics.serverCloses.inc({ reason: 'heartbeatMissed' });
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ping();
    }
  }

  /**
   * Graceful stop: refuses new sockets and new frames (`unavailable`, which a
   * client retries after reconnecting), lets frames already received finish
   * (so each of their sends is acked), takes this instance's devices offline,
   * then closes every socket with 1012 so clients reconnect elsewhere.
   */
  async close(): Promise<void> {
    this.accepting = false;
    for (const t of this.timers) clearInterval(t);
    // Queued frames may start sends of their own: wait until nothing is left.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const connections = [...this.deps.hub.connections()];
    await this.deps.presence.stop(connections.map((c) => ({ userId: c.userId, connectionId: c.id })));
    for (const conn of connections) conn.close(CloseCodes.serviceRestart, 'server restart');
    this.wss.close();
  }
}

/** One listener for every socket, not a closure per socket (it outlives the upgrade: #17 idle heap). */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** A socket as a presence device (built when needed rather than kept per socket). */
const deviceOf = (conn: Connection): LocalDevice => ({ userId: conn.userId, connectionId: conn.id });

/** Close code → its name in the protocol's table (the label of parley_ws_server_closes_total). */
const CLOSE_REASONS = new Map<number, string>(Object.entries(CloseCodes).map(([name, code]) => [code, name]));

function rejectUpgrade(socket: Duplex, error: AppError): void {
  if (!socket.destroyed) socket.end(rawHttpError(error));
}
