import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

export type ScanResult = { infected: false } | { infected: true; signature: string };

/** clamd could not be reached or did not answer: the file stays `pending` and is tried again later. */
export class ScannerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScannerUnavailable';
  }
}

/** clamd answered with an error about this file (over its StreamMaxLength, …). */
export class ScanRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanRefused';
  }
}

export type ClamdAddress = { host: string; port: number } | { socket: string };

/**
 * A client for clamd's INSTREAM command (clamd(8), "INSTREAM"): send
 * `zINSTREAM\0`, then the file as chunks each prefixed with its length (4
 * bytes, big-endian), then a zero-length chunk; clamd answers one
 * NUL-terminated line: `stream: OK`, `stream: <signature> FOUND`, or
 * `<message> ERROR`. Written here rather than taken from npm: the protocol is
 * these few lines, and the clients there (clamscan, clamdjs) wrap local
 * binaries and config-file discovery that a server must not depend on.
 * The file is streamed with backpressure, never held whole.
 */
export class ClamdScanner {
  constructor(
    private readonly address: ClamdAddress,
    private readonly timeoutMs: number,
  ) {}

  scan(body: Readable): Promise<ScanResult> {
    return new Promise<ScanResult>((resolve, reject) => {
      let settled = false;
      let reply = '';
      const socket: Socket = 'socket' in this.address ? connect(this.address.socket) : connect(this.address.port, this.address.host);
      const finish = (err: Error | null, result?: ScanResult) => {
        if (settled) return;
        settled = true;
        body.unpipe?.();
        body.destroy();
        socket.destroy();
        if (err) reject(err);
        else resolve(result!);
      };
      socket.setTimeout(this.timeoutMs, () => finish(new ScannerUnavailable(`clamd did not answer within ${this.timeoutMs} ms`)));
      socket.on('error', (err) => finish(new ScannerUnavailable(`clamd is unreachable: ${err.message}`, { cause: err })));
      socket.on('data', (data: Buffer) => {
        reply += data.toString('utf8');
        const end = reply.indexOf('\0');
        if (end < 0) return;
        try {
          finish(null, parseReply(reply.slice(0, end)));
        } catch (err) {
          finish(err as Error);
        }
      });
      socket.on('close', () => {
        if (!settled) finish(new ScannerUnavailable('clamd closed the connection without an answer'));
      });
      socket.on('connect', async () => {
        try {
          if (!socket.write('zINSTREAM\0')) await drained(socket);
          for await (const chunk of body) {
            if (settled) return;
            const data = chunk as Buffer;
            const length = Buffer.alloc(4);
            length.writeUInt32BE(data.length);
            socket.write(length);
            if (!socket.write(data)) await drained(socket);
          }
          if (!settled) socket.write(Buffer.alloc(4));
        } catch (err) {
          // clamd cuts the stream when it is over StreamMaxLength and says so: wait for its answer.
          if (!settled && socket.destroyed) finish(new ScannerUnavailable('clamd connection lost mid-stream', { cause: err }));
          else if (!settled && !(err instanceof Error && /EPIPE|ECONNRESET/.test(err.message))) finish(err as Error);
        }
      });
    });
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      socket.off('drain', onDrain);
      reject(new Error('ECONNRESET: clamd closed the connection'));
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/** `stream: OK` → clean; `stream: Sig FOUND` → infected; an `ERROR` line → ScanRefused. */
export function parseReply(line: string): ScanResult {
  const text = line.trim();
  if (/^stream: OK$/.test(text)) return { infected: false };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) return { infected: true, signature: found[1]! };
  throw new ScanRefused(`clamd: ${text}`);
}
