import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { iceServersFor } from './ice-servers.ts';

const now = Date.UTC(2026, 0, 1);

it('mints TURN REST credentials: <expiry>:<user>, base64 HMAC-SHA1 under the shared secret', () => {
  const res = iceServersFor('u1', { uris: ['stun:stun.example.com', 'turn:turn.example.com:3478?transport=udp'], secret: 's3cret', ttl: 600 }, now);
  expect(res.ttl).toBe(600);
  expect(res.ice_servers[0]).toEqual({ urls: ['stun:stun.example.com'] });
  const turn = res.ice_servers[1]!;
  expect(turn.urls).toEqual(['turn:turn.example.com:3478?transport=udp']);
  expect(turn.username).toBe(`${now / 1000 + 600}:u1`);
  expect(turn.credential).toBe(createHmac('sha1', 's3cret').update(turn.username!).digest('base64'));
});

it('answers STUN only, or nothing, without a TURN secret', () => {
  expect(iceServersFor('u1', { uris: ['stun:s.example', 'turn:t.example'], secret: null, ttl: 60 }, now).ice_servers).toEqual([{ urls: ['stun:s.example'] }]);
  expect(iceServersFor('u1', { uris: [], secret: null, ttl: 60 }, now).ice_servers).toEqual([]);
});
