import type { ServerFrame, UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import { userChannel, type Bus } from './bus.ts';

/**
 * How capabilities push frames to users' devices, wherever they are connected.
 * The frame is serialised once; the same string goes to every channel.
 * Publishing never throws: the data is already durable, and a lost push is
 * repaired by the client's gap fill.
 */
export class Notifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  toUsers(userIds: Iterable<UserId>, frame: ServerFrame): void {
    const payload = JSON.stringify(frame);
    for (const id of userIds) {
      this.bus.publish(userChannel(id), payload).catch((err: unknown) => {
        this.log.warn({ err, frame: frame.type }, 'bus publish failed');
      });
    }
  }
}
