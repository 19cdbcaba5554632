import { CloseCodes } from '@parley/protocol';
import type { Backoff } from './backoff.ts';
import type { Connection, ConnectionEvents } from './connection.ts';
import { ParleyError } from './errors.ts';
import type { RestClient } from './rest.ts';
import type { Session, SessionData } from './session.ts';

export interface TokenKeeperOptions {
  session: Session;
  connection: Connection;
  api: Pick<RestClient, 'me'>;
  /** Paces renewals when the server keeps refusing fresh tokens. */
  backoff: Backoff;
  onError: (err: ParleyError) => void;
}

/**
 * Keeps the socket supplied with a valid token. A 4401 parks the connection
 * until the session is renewed, then reconnects; a handshake that failed
 * before the socket opened (browsers cannot see a 401 there) is explained by
 * a REST call, which renews a refused token on the way; a token renewed while
 * connected is handed to the live socket with an `auth` frame, so a server
 * that closes sockets at token expiry leaves this one open.
 */
export class TokenKeeper {
  private awaitingToken = false;
  private probed = false;
  private lastToken: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: TokenKeeperOptions) {}

  /** True while the connection waits for a renewed token. */
  get waiting(): boolean {
    return this.awaitingToken;
  }

  onAuthRequired(): void {
    const { session, backoff } = this.options;
    if (!session.data) {
      this.options.onError(new ParleyError('unauthenticated', 'log in before connecting'));
      return;
    }
    this.awaitingToken = true;
    // The first refusal renews at once; a server that keeps refusing fresh tokens is retried ever more slowly.
    const delay = backoff.attempts === 0 ? 0 : backoff.jitter(backoff.ceilingMs);
    backoff.next();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.awaitingToken) void session.refresh();
    }, delay);
  }

  onClosed(info: ConnectionEvents['closed']): void {
    // A socket this client closed itself while it was opening needs no explaining.
    if (info.opened || info.code === CloseCodes.normal || this.probed || !this.options.session.data) return;
    this.probed = true;
    this.options.api.me().catch(() => {});
  }

  onReady(): void {
    this.awaitingToken = false;
    this.probed = false;
    this.options.backoff.reset();
  }

  /** After the app has seen the new session: reconnect a parked connection, or renew the live socket's token. */
  onSession(data: SessionData | null): void {
    const renewed = data !== null && this.lastToken !== null && data.access_token !== this.lastToken;
    this.lastToken = data?.access_token ?? null;
    const { connection } = this.options;
    if (data && this.awaitingToken) {
      this.awaitingToken = false;
      connection.reconnect();
    } else if (renewed && connection.state === 'connected') {
      connection.request({ type: 'auth', token: data.access_token }).catch((err: ParleyError) => {
        // A server without `auth` never closes a socket for an expired token; a lost socket reconnects with the new one.
        if (err.code === 'unknown_type' || err.code === 'disconnected' || err.code === 'timeout') return;
        this.options.onError(err);
      });
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
