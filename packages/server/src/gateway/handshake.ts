import type { IncomingMessage } from 'node:http';
import { BEARER_PROTOCOL_PREFIX } from '@parley/protocol';
import { AppError } from '../errors.ts';
import type { AccessTokens, VerifiedToken } from '../auth/access-tokens.ts';
import type { AuthService } from '../auth/auth-service.ts';

/**
 * Authenticates a WebSocket handshake before any 101: the token from the
 * `bearer.` subprotocol, the Authorization header, or a one-use `?ticket=`.
 * Resolves to null when the handshake carries no credentials at all (the
 * client will send an `auth` frame); bad credentials throw.
 */
export async function authenticateHandshake(
  req: IncomingMessage,
  url: URL,
  deps: { tokens: AccessTokens; auth: AuthService },
): Promise<VerifiedToken | null> {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (bearer) return deps.tokens.verify(bearer.slice(BEARER_PROTOCOL_PREFIX.length));
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return deps.tokens.verify(header.slice(7));
  const ticket = url.searchParams.get('ticket');
  if (ticket) {
    const session = await deps.auth.redeemWsTicket(ticket);
    if (session) return session;
    throw new AppError('unauthenticated', 'ticket is unknown, used or expired');
  }
  return null;
}

/**
 * Counts, per address, sockets opened without credentials that have not yet
 * authenticated, so one address cannot tie up the server with them.
 * (A handshake with credentials is verified at once and never waits.)
 */
export class Unauthenticated {
  private readonly pending = new Map<string, number>();
  private count = 0;

  constructor(private readonly maxPerIp: number) {}

  /** Returns false (and counts nothing) when the address is at its cap. */
  enter(ip: string): boolean {
    const n = this.pending.get(ip) ?? 0;
    if (n >= this.maxPerIp) return false;
    this.pending.set(ip, n + 1);
    this.count++;
    return true;
  }

  leave(ip: string): void {
    const held = this.pending.get(ip);
    if (held === undefined) return;
    this.count--;
    const n = held - 1;
    if (n <= 0) this.pending.delete(ip);
    else this.pending.set(ip, n);
  }

  /** Slots held, over all addresses. */
  get total(): number {
    return this.count;
  }
}
