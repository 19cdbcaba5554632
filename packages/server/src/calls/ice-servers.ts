import { createHmac } from 'node:crypto';
import type { IceServersResponse, UserId } from '@parley/protocol';
import type { Config } from '../config.ts';

/**
 * ICE servers for a user, with TURN REST API credentials (coturn
 * `use-auth-secret`): username `<expiry>:<userId>`, password the base64
 * HMAC-SHA1 of the username under the shared secret. STUN URIs need none;
 * TURN URIs are left out when no secret is configured (they would not work).
 */
export function iceServersFor(userId: UserId, turn: Config['turn'], now = Date.now()): IceServersResponse {
  const stun = turn.uris.filter((u) => u.startsWith('stun:') || u.startsWith('stuns:'));
  const relays = turn.uris.filter((u) => u.startsWith('turn:') || u.startsWith('turns:'));
  const servers: IceServersResponse['ice_servers'] = [];
  if (stun.length > 0) servers.push({ urls: stun });
  if (relays.length > 0 && turn.secret) {
    const username = `${Math.floor(now / 1000) + turn.ttl}:${userId}`;
    const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
    servers.push({ urls: relays, username, credential });
  }
  return { ice_servers: servers, ttl: turn.ttl };
}
