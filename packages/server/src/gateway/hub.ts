import type { UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import { userChannel, type Bus, type Unsubscribe } from '../bus/bus.ts';
import type { Connection } from './connection.ts';

interface LocalUser {
  connections: Set<Connection>;
  subscription: Promise<Unsubscribe>;
}

/**
 * The sockets of this instance, by user. The instance listens on a user's bus
 * channel only while that user has a socket here, so it never receives
 * traffic it would throw away; a payload from the bus is written unchanged to
 * each of the user's sockets.
 */
export class Hub {
  private readonly users = new Map<UserId, LocalUser>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Registers a socket; resolves once the user's channel is listened to, so nothing sent after is missed. */
  async add(conn: Connection): Promise<void> {
    let user = this.users.get(conn.userId);
    if (!user) {
      const connections = new Set<Connection>();
      const subscription = this.bus.subscribe(userChannel(conn.userId), (payload) => {
        for (const c of connections) c.send(payload);
      });
      user = { connections, subscription };
      this.users.set(conn.userId, user);
    }
    user.connections.add(conn);
    await user.subscription;
  }

  remove(conn: Connection): void {
    const user = this.users.get(conn.userId);
    if (!user || !user.connections.delete(conn) || user.connections.size > 0) return;
    this.users.delete(conn.userId);
    user.subscription
      .then((unsubscribe) => unsubscribe())
      .catch((err: unknown) => this.log.warn({ err }, 'bus unsubscribe failed'));
  }

  *connections(): Iterable<Connection> {
    for (const user of this.users.values()) yield* user.connections;
  }

  get connectionCount(): number {
    let n = 0;
    for (const user of this.users.values()) n += user.connections.size;
    return n;
  }
}
