import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received. */
  body: string;
  /** The status this receiver answered. */
  status: number;
}

/**
 * A real HTTP endpoint for outgoing event deliveries (node:http on port 0):
 * records every POST and answers `failFirst` of them with 500, then 204.
 */
export class EventReceiver implements AsyncDisposable {
  readonly received: ReceivedDelivery[] = [];
  failFirst = 0;
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.failFirst > 0 ? 500 : 204;
        if (this.failFirst > 0) this.failFirst--;
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status).end(status === 500 ? 'not now' : undefined);
      });
    });
  }

  static async start(): Promise<EventReceiver> {
    const receiver = new EventReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/parley-events`;
  }

  /** Received deliveries of one event type. */
  ofType(type: string): ReceivedDelivery[] {
    return this.received.filter((r) => r.headers['parley-event-type'] === type);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
