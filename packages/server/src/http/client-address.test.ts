import type { IncomingMessage } from 'node:http';
import { expect, it } from 'vitest';
import { clientAddress } from './client-address.ts';

const request = (peer: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

it('uses the TCP peer when no proxy is trusted, whatever the header says', () => {
  expect(clientAddress(request('10.0.0.1', '203.0.113.9'), 0)).toBe('10.0.0.1');
});

it('takes the n-th X-Forwarded-For address from the right: what a client writes to its left is never read', () => {
  expect(clientAddress(request('10.0.0.1', '198.51.100.7'), 1)).toBe('198.51.100.7');
  expect(clientAddress(request('10.0.0.1', '203.0.113.9, 198.51.100.7'), 1)).toBe('198.51.100.7');
  expect(clientAddress(request('10.0.0.1', '203.0.113.9, 198.51.100.7, 10.0.0.2'), 2)).toBe('198.51.100.7');
  expect(clientAddress(request('10.0.0.1', ['203.0.113.9', '198.51.100.7']), 1)).toBe('198.51.100.7');
  expect(clientAddress(request('10.0.0.1', ' 203.0.113.9 ,, 198.51.100.7 '), 1)).toBe('198.51.100.7');
});

it('falls back to the leftmost address, or the peer, when the header is shorter than the trusted chain', () => {
  expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
  expect(clientAddress(request('10.0.0.1', ''), 1)).toBe('10.0.0.1');
  expect(clientAddress(request('10.0.0.1', '198.51.100.7'), 3)).toBe('198.51.100.7');
});
