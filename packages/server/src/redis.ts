import { createClient } from 'redis';

/**
 * No per-command timeout (node-redis defaults to 5 s): it costs an
 * `AbortSignal.timeout` per command, whose timer cannot be cancelled and fires
 * 5 s later anyway, building a DOMException — ~10 % of a pinned server's busy
 * CPU with three commands per message. The one command a frame waits on (the
 * shared rate limit) bounds its own wait (redis-rate-limiter.ts); publishes are
 * not awaited by anyone, and a dead connection fails them through node-redis'
 * reconnect (the command client queues nothing while disconnected).
 */
const COMMAND_OPTIONS = { timeout: 0 };

function connect(url: string, options: { disableOfflineQueue: boolean }) {
  const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100);
  return createClient({ url, ...options, commandOptions: COMMAND_OPTIONS, socket: { reconnectStrategy, connectTimeout: 2_000 } });
}

export type RedisClient = ReturnType<typeof connect>;

export interface RedisConnections {
  /** Commands and PUBLISH. Fails fast while disconnected: nothing Parley sends Redis is worth queueing. */
  command: RedisClient;
  /** SUBSCRIBE only (a subscribed connection can run nothing else). */
  subscriber: RedisClient;
  close(): Promise<void>;
}

/**
 * Opens the two Redis connections an instance needs. Start-up does not wait
 * for Redis: an instance whose Redis is down still serves its own sockets,
 * and node-redis keeps reconnecting with backoff.
 */
export function openRedis(url: string, onError: (err: Error) => void): RedisConnections {
  const command = connect(url, { disableOfflineQueue: true });
  const subscriber = connect(url, { disableOfflineQueue: false });
  command.on('error', onError);
  subscriber.on('error', onError);
  command.connect().catch(onError);
  subscriber.connect().catch(onError);
  return {
    command,
    subscriber,
    async close() {
      // close() waits for replies, which never come from a server that is down: only then destroy.
      await Promise.allSettled([command, subscriber].map((c) => (c.isReady ? c.close() : Promise.resolve())));
      for (const c of [command, subscriber]) if (c.isOpen) c.destroy();
    },
  };
}
