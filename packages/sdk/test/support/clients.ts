import { afterEach, beforeEach, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { ParleyClient, type ParleyClientEvents, type ParleyClientOptions } from '../../src/client.ts';
import type { WebSocketConstructor } from '../../src/socket.ts';
import { FakeParley, type FakeUser } from '../fake-server.ts';

/** A `ws` WebSocket class that records the subprotocols of every socket it opens. */
export function countingWebSocket(): { WebSocket: WebSocketConstructor; opened: string[][] } {
  const opened: string[][] = [];
  class CountingWebSocket extends WsWebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      opened.push(protocols);
    }
  }
  return { WebSocket: CountingWebSocket, opened };
}

/** Every event of a client, in order, for assertions. */
export function record<K extends keyof ParleyClientEvents>(client: ParleyClient, event: K): Array<ParleyClientEvents[K]> {
  const seen: Array<ParleyClientEvents[K]> = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}

export interface TestClient {
  client: ParleyClient;
  /** Subprotocols of every socket this client opened. */
  opened: string[][];
}

export interface FakeFixture {
  server: FakeParley;
  /** A client for `user`, closed after the test. Fast reconnects unless overridden. */
  open(user: FakeUser | null, options?: Partial<ParleyClientOptions>): TestClient;
}

/**
 * A fake server per test and clients that are closed after it; fake timers,
 * when a test installs them, are removed first so cleanup runs on real time.
 */
export function useFakeServer(): FakeFixture {
  const clients: ParleyClient[] = [];
  const fixture = {
    open(user: FakeUser | null, options: Partial<ParleyClientOptions> = {}): TestClient {
      const { WebSocket, opened } = countingWebSocket();
      const client = new ParleyClient({
        url: fixture.server.url,
        WebSocket,
        session: user?.session ?? null,
        reconnect: { baseMs: 20, capMs: 200, rateLimitedDelayMs: 50 },
        requestTimeoutMs: 2_000,
        ...options,
      });
      client.on('error', () => {});
      clients.push(client);
      return { client, opened };
    },
  } as FakeFixture;
  beforeEach(async () => {
    fixture.server = await FakeParley.start();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await fixture.server.close();
  });
  return fixture;
}

/** The timers the SDK's backoff, heartbeat and throttle logic runs on; I/O keeps real time. */
export function useSdkFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}
