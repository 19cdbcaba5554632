import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ParleyClient, type ParleyClientOptions } from '../src/client.ts';
import { eventually } from './support/eventually.ts';
import { record } from './support/clients.ts';
import { useRealServer } from './support/real-server.ts';

/**
 * Tokens against the real server, with 5-second access tokens: the server
 * closes a socket whose token expires (4401), refuses a bad handshake token
 * with HTTP 401, and a bad `auth` frame with 4401.
 */
describe('tokens against the real server', () => {
  const real = useRealServer({ JWT_ACCESS_TTL: '5' });
  async function registered(options: Partial<ParleyClientOptions> = {}): Promise<ParleyClient> {
    const client = real.client(options);
    client.on('error', () => {});
    await client.register({ username: real.username('tok'), password: 'correct horse battery' });
    return client;
  }

  it('keeps its socket past the first token’s expiry by handing the renewed token to the live socket', async () => {
    const client = await registered();
    const closed = record(client, 'closed');
    const original = client.sessionData!.access_token;
    client.connect();
    await client.connected();

    // A socket on the same token that is never renewed: its 4401 shows the server's expiry sweep has passed.
    const control = new WebSocket(real.server.url.replace('http', 'ws') + '/ws', ['parley.v1', `bearer.${original}`]);
    const controlClosed = new Promise<number>((resolve) => control.on('close', (code) => resolve(code)));
    control.on('error', () => {});
    expect(await controlClosed).toBe(4401);

    expect(client.sessionData!.access_token).not.toBe(original);
    // A round trip on the client's socket: had the sweep closed it too, that close would come first.
    const other = await registered();
    const conv = await client.createDirect(other.user!.id);
    client.send(conv.id, 'still here');
    await eventually(() => expect(client.pending()).toEqual([]));
    expect(closed).toEqual([]);
    expect(client.state).toBe('connected');
  });

  it('recovers when the handshake token is refused with HTTP 401: it asks REST, which renews the token', async () => {
    const healthy = await registered();
    // It shares its refresh token with the client below: it must not renew it too.
    await healthy.close();
    const client = real.client({
      session: { ...healthy.sessionData!, access_token: 'not-a-token' },
    });
    const closed = record(client, 'closed');
    client.connect();
    await client.connected();
    expect(closed[0]).toMatchObject({ opened: false });
    expect(client.sessionData!.access_token).not.toBe('not-a-token');
  });

  it('with the token in the first frame, a refused token closes with 4401 and is renewed', async () => {
    const healthy = await registered();
    // It shares its refresh token with the client below: it must not renew it too.
    await healthy.close();
    const client = real.client({
      authMode: 'frame',
      session: { ...healthy.sessionData!, access_token: 'not-a-token' },
    });
    const closed = record(client, 'closed');
    client.connect();
    await client.connected();
    expect(closed).toEqual([expect.objectContaining({ code: 4401, opened: true, ready: false })]);
    expect(client.sessionData!.access_token).not.toBe('not-a-token');
  });
});
