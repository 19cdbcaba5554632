import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { isPublicAddress } from './address-guard.ts';
import { postDelivery } from './sender.ts';

it('tells public addresses from loopback, private, link-local, mapped and reserved ones', () => {
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect({ a, ok: isPublicAddress(a) }).toEqual({ a, ok: true });
  for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.5', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.1.1.1', '64:ff9b::a00:1', 'localhost', 'nope']) {
    expect({ a, ok: isPublicAddress(a) }).toEqual({ a, ok: false });
  }
});

it('refuses at delivery a host name that resolves to loopback, and an IP literal one, unless private addresses are allowed', async () => {
  const server = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const post = (url: string, allowPrivate: boolean) => postDelivery(url, {}, '{}', { timeoutMs: 5_000, allowPrivate });
    expect(await post(`http://localhost:${port}/x`, false)).toMatchObject({ statusCode: null, error: 'address_refused' });
    expect(await post(`http://127.0.0.1:${port}/x`, false)).toMatchObject({ statusCode: null, error: 'address_refused' });
    expect(await post(`http://localhost:${port}/x`, true)).toMatchObject({ statusCode: 204, error: null });
  } finally {
    server.close();
  }
});
