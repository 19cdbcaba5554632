import type { IncomingMessage } from 'node:http';

/**
 * The client address of a request, for per-address limits and audit lines;
 * the one rule for REST and for the WebSocket upgrade.
 *
 * With `trustedHops` = 0 it is the TCP peer. Behind n proxies that each
 * overwrite or append to X-Forwarded-For, the last n addresses of
 * [...X-Forwarded-For, peer] are the proxies' own view, so the client is the
 * n-th X-Forwarded-For address from the right: whatever a client writes to
 * the left of it is never read. A shorter header (a request that bypassed a
 * proxy) falls back to its leftmost address, or to the peer.
 */
export function clientAddress(req: IncomingMessage, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return peer;
  // Node joins repeated X-Forwarded-For headers with ", ".
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}
