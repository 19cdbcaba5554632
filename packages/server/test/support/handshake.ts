import WebSocket from 'ws';

/** The status of a WebSocket handshake: 101 when upgraded, else the HTTP status. */
export function handshake(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    ws.once('upgrade', () => {
      resolve(101);
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}
