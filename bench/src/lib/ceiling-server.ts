/**
 * The fan-out ceiling: a bare `ws` server with no auth, no storage and no
 * per-message work — every frame a client sends is published once on a Redis
 * channel, and every instance writes the same bytes to all its local sockets
 * (like Parley's large-room channel). Forked by ceiling.ts; answers its port
 * over IPC and exits on disconnect.
 *
 * Like Parley, it holds each socket's writes until the end of the event-loop
 * turn (cork, then uncork on the next tick), so the frames a socket gets in
 * one turn leave in one writev: without that, Parley outran its ceiling.
 *
 *   env: CEILING_REDIS_URL (absent = local broadcast only), CEILING_CHANNEL,
 *        CEILING_CORK=no for the naive one-write-per-frame broadcast
 */
import type { Duplex } from 'node:stream';
import { createClient } from 'redis';
import { WebSocketServer, type WebSocket } from 'ws';

const redisUrl = process.env.CEILING_REDIS_URL;
const channel = process.env.CEILING_CHANNEL ?? 'parley_bench_ceiling';
const sockets = new Set<WebSocket>();

const cork = process.env.CEILING_CORK !== 'no';
const corked = new Set<Duplex>();
const uncorkAll = () => {
  for (const socket of corked) socket.uncork();
  corked.clear();
};

function broadcast(data: Buffer): void {
  for (const ws of sockets) {
    const socket = (ws as unknown as { _socket: Duplex })._socket;
    if (cork && !corked.has(socket)) {
      if (corked.size === 0) process.nextTick(uncorkAll);
      socket.cork();
      corked.add(socket);
    }
    ws.send(data, { binary: false });
  }
}

async function main(): Promise<void> {
  let publish: (data: Buffer) => void = broadcast;
  const clients: { quit(): Promise<unknown> }[] = [];
  if (redisUrl) {
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(channel, (message: Buffer) => broadcast(message), true);
    publish = (data) => void pub.publish(channel, data);
    clients.push(pub, sub);
  }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('message', (data: Buffer) => publish(data));
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const address = wss.address();
  process.send!({ port: address && typeof address === 'object' ? address.port : 0 });
  process.on('disconnect', () => {
    for (const ws of sockets) ws.terminate();
    wss.close();
    void Promise.all(clients.map((c) => c.quit())).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main().catch((err: unknown) => {
  console.error('ceiling server failed:', err);
  process.exit(1);
});
