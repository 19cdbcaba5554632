import type { AuthResponse, UserView } from '@parley/protocol';
import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import type { RestAuth } from './rest.ts';

/**
 * What an app persists to stay logged in across reloads (the `session` event
 * hands it over each time it changes). Treat it as a secret.
 */
export interface SessionData {
  user: UserView;
  access_token: string;
  refresh_token: string;
  /** When the access token expires, in ms since the epoch (the client's clock, from `expires_in`). */
  expires_at: number;
}

/** Why a session ended: the app logged out, or the server refused the refresh token. */
export type LogoutReason = 'logout' | 'invalid_refresh_token' | 'refresh_token_reused';

export interface SessionEvents {
  /** The tokens changed (login, refresh) or were cleared (null). Persist the value. */
  session: SessionData | null;
  logged_out: { reason: LogoutReason };
}

export interface SessionOptions {
  /** Exchanges a refresh token for new tokens (the REST `auth/refresh`). */
  refresh: (refreshToken: string) => Promise<AuthResponse>;
  /** Most time before expiry at which the token is renewed, ms (default 60 000; never more than a fifth of its life). */
  refreshMarginMs?: number;
  now?: () => number;
}

/** Turns a login, register or refresh answer into what the session keeps. */
export function toSessionData(auth: AuthResponse, now: number): SessionData {
  return {
    user: auth.user,
    access_token: auth.access_token,
    refresh_token: auth.refresh_token,
    expires_at: now + auth.expires_in * 1000,
  };
}

/**
 * Holds the tokens and keeps the access token fresh: it is renewed shortly
 * before it expires (so a reconnect never presents a dead token), on demand
 * when the server refuses it, and at most once at a time — refresh tokens
 * rotate, and presenting a spent one revokes the whole session.
 */
export class Session implements RestAuth {
  readonly events = new Emitter<SessionEvents>();
  private current: SessionData | null = null;
  private renewAt = 0;
  private inFlight: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private readonly now: () => number;

  /** A request under way that will replace this session (see `replaceWith`). */
  private replacing: Promise<AuthResponse> | null = null;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  get data(): SessionData | null {
    return this.current;
  }

  get user(): UserView | null {
    return this.current?.user ?? null;
  }

  /** Starts (or restores) a session; emits `session`. */
  set(data: SessionData): void {
    this.current = data;
    const remaining = data.expires_at - this.now();
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, Math.max(remaining / 5, 0));
    this.renewAt = data.expires_at - margin;
    this.failures = 0;
    this.schedule(this.renewAt - this.now());
    this.events.emit('session', data);
  }

  /** The signed-in user changed (a new display name): same tokens; emits `session`. */
  updateUser(user: UserView): void {
    if (!this.current || this.current.user.id !== user.id) return;
    this.current = { ...this.current, user };
    this.events.emit('session', this.current);
  }

  accept(auth: AuthResponse): SessionData {
    const data = toSessionData(auth, this.now());
    this.set(data);
    return data;
  }

  /** Forgets the tokens; emits `session` (null) and `logged_out`. */
  clear(reason: LogoutReason): void {
    if (!this.current) return;
    this.current = null;
    clearTimeout(this.timer);
    this.events.emit('session', null);
    this.events.emit('logged_out', { reason });
  }

  async accessToken(): Promise<string | null> {
    if (this.current && this.now() >= this.renewAt) await this.refresh();
    // A renewal that failed for a transient reason leaves the old token, which may still be valid.
    return this.current?.access_token ?? null;
  }

  /** Renews the access token; true on success. Concurrent callers share one request. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.doRefresh().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  /**
   * Runs a request that ends this session on the server and answers with a
   * new one (a password change), then takes the new one over. Meanwhile the
   * old session dies on the server, so renewals wait for the new one rather
   * than present a refresh token that is already revoked (and sign out).
   */
  async replaceWith(request: () => Promise<AuthResponse>): Promise<SessionData> {
    const pending = request();
    this.replacing = pending;
    try {
      return this.accept(await pending);
    } finally {
      if (this.replacing === pending) this.replacing = null;
    }
  }

  private async doRefresh(): Promise<boolean> {
    const spent = this.current;
    if (!spent) return false;
    if (this.replacing) {
      await this.replacing.catch(() => {});
      // Replaced: renewed. Not replaced (the request failed): the old session goes on as it was.
      if (this.current !== spent) return this.current !== null;
    }
    try {
      const auth = await this.options.refresh(spent.refresh_token);
      // A logout (or another login) while the request was out wins over its answer.
      if (this.current !== spent) return this.current !== null;
      this.accept(auth);
      return true;
    } catch (err) {
      if (this.current !== spent) return this.current !== null;
      if (err instanceof ParleyError && !err.retryable && err.status !== undefined && err.status < 500) {
        this.clear(err.code === 'refresh_token_reused' ? 'refresh_token_reused' : 'invalid_refresh_token');
        return false;
      }
      // Network trouble or a server error: keep the session and try again soon.
      this.failures++;
      this.schedule(Math.min(30_000, 1000 * 2 ** Math.min(this.failures, 5)));
      return false;
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    // setTimeout fires at once for delays past 2^31-1 ms; such tokens are renewed on demand instead.
    if (delayMs > 2_147_483_647) return;
    this.timer = setTimeout(() => void this.refresh(), Math.max(0, delayMs));
  }
}
