import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { prepareTextFrame } from './prepared-frame.ts';
import { eventually } from '../../test/support/eventually.ts';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

it('frames a payload once into bytes that a real client reads as the same text message, at every length encoding', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  open.push(wss);
  await once(wss, 'listening');
  const { port } = wss.address() as { port: number };
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  open.push(client);
  const [server] = await accepted;
  const received: { text: string; binary: boolean }[] = [];
  client.on('message', (data: Buffer, binary) => received.push({ text: data.toString(), binary }));
  // 7-bit, 16-bit and 64-bit payload lengths, with multi-byte UTF-8 so bytes ≠ characters.
  const payloads = ['{"type":"message","text":"héllo ✓"}', `{"text":"${'é'.repeat(150)}"}`, `{"text":"${'✓x'.repeat(30_000)}"}`];
  const socket = (server as unknown as { _socket: Duplex })._socket;
  for (const p of payloads) {
    const frame = prepareTextFrame(p);
    socket.write(frame);
    socket.write(frame); // the same bytes serve any number of sockets, or twice the same one
  }
  await eventually(() => expect(received).toEqual(payloads.flatMap((text) => [{ text, binary: false }, { text, binary: false }])));
});
