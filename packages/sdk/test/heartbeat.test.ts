import { describe, expect, it, vi } from 'vitest';
import { ClientCloseCodes } from '../src/socket.ts';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer, useSdkFakeTimers } from './support/clients.ts';

/** The app-level heartbeat: browsers cannot see WebSocket pings, so the client pings when the line goes quiet. */
describe('heartbeat', () => {
  const fake = useFakeServer();

  async function setup() {
    const alice = fake.server.addUser('alice');
    fake.server.heartbeatInterval = 10;
    useSdkFakeTimers();
    const { client, opened } = fake.open(alice, { random: () => 0.5, reconnect: { baseMs: 1000, capMs: 10_000 } });
    const closed = record(client, 'closed');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));
    return { client, opened, closed };
  }

  it('pings after two silent intervals and drops a socket that does not answer, then reconnects', async () => {
    const { client, opened, closed } = await setup();
    fake.server.silent = true;
    await vi.advanceTimersByTimeAsync(19_999);
    expect(fake.server.frames('ping')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await eventually(() => expect(fake.server.frames('ping')).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(client.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toEqual([expect.objectContaining({ code: ClientCloseCodes.heartbeatTimeout, ready: true })]);
    expect(client.state).toBe('connecting');

    fake.server.silent = false;
    await vi.advanceTimersByTimeAsync(500);
    await eventually(() => expect(client.state).toBe('connected'));
    expect(opened).toHaveLength(2);
  });

  it('keeps a socket that answers the ping, and counts any frame as a sign of life', async () => {
    const { client, closed } = await setup();
    await vi.advanceTimersByTimeAsync(19_000);
    fake.server.push({ type: 'pong' });
    await eventually(() => expect(fake.server.sockets()).toBe(1));
    await vi.advanceTimersByTimeAsync(0);
    // 19 s after that frame: still quiet for less than two intervals.
    await vi.advanceTimersByTimeAsync(19_000);
    expect(fake.server.frames('ping')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await eventually(() => expect(fake.server.frames('ping')).toHaveLength(1));
    // The pong comes back (real I/O) before the pong timeout is reached.
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(closed).toEqual([]);
    expect(client.state).toBe('connected');
  });
});
