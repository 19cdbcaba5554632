import { expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection } from './connection.ts';
import { OTHER_PUSH } from '../bots/scope.ts';
import { prepareTextFrame } from './prepared-frame.ts';

/** The payloads of the unmasked, final text frames in `bytes` (what the hub's prepared frames must be). */
function textFrames(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; ) {
    if (bytes[i] !== 0x81) throw new Error('not a final text frame');
    let length = bytes[i + 1]! & 0x7f;
    let start = i + 2;
    if (length === 126) [length, start] = [bytes.readUInt16BE(i + 2), i + 4];
    else if (length === 127) [length, start] = [Number(bytes.readBigUInt64BE(i + 2)), i + 10];
    out.push(bytes.toString('utf8', start, start + length));
    i = start + length;
  }
  return out;
}

/** A stand-in for a ws socket and the TCP socket under it that records what is written (only what Connection touches). */
function fakeSocket() {
  const written: string[] = [];
  const socket = { cork: () => {}, uncork: () => {}, write: (bytes: Buffer) => written.push(...textFrames(bytes)) };
  const ws = { OPEN: 1, CONNECTING: 0, CLOSING: 2, CLOSED: 3, readyState: 1, bufferedAmount: 0, _socket: socket, send: (p: string) => written.push(p) };
  return { ws: ws as unknown as WebSocket, written };
}

it('holds fan-out pushes that arrive before ready, and writes them right after it, in order', () => {
  const { ws, written } = fakeSocket();
  const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1 << 20);
  conn.push(prepareTextFrame('{"type":"message","seq":1}'), OTHER_PUSH);
  conn.push(prepareTextFrame('{"type":"message","seq":2}'), OTHER_PUSH);
  expect(written).toEqual([]);
  conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
  conn.push(prepareTextFrame('{"type":"message","seq":3}'), OTHER_PUSH);
  expect(written.map((p) => JSON.parse(p).type + (JSON.parse(p).seq ?? ''))).toEqual(['ready', 'message1', 'message2', 'message3']);
});

it('writes the frame the hub prepared once as it is, to every socket', () => {
  const a = fakeSocket();
  const b = fakeSocket();
  const frame = prepareTextFrame(`{"type":"message","seq":1,"text":"héllo ✓ ${'x'.repeat(200)}"}`);
  for (const { ws } of [a, b]) {
    const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1 << 20);
    conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
    conn.push(frame, OTHER_PUSH);
  }
  for (const { written } of [a, b]) expect(JSON.parse(written[1]!)).toEqual({ type: 'message', seq: 1, text: `héllo ✓ ${'x'.repeat(200)}` });
});

it('remembers the code it closed a slow consumer with (for the close metrics)', () => {
  const { ws } = fakeSocket();
  const closes: number[] = [];
  Object.assign(ws, { resume: () => {}, close: (code: number) => closes.push(code) });
  const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1024);
  conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
  expect(conn.serverCloseCode).toBe(null);
  (ws as unknown as { bufferedAmount: number }).bufferedAmount = 4096;
  conn.push(prepareTextFrame('{"type":"message","seq":1}'), OTHER_PUSH);
  expect(closes).toEqual([4000]);
  expect(conn.serverCloseCode).toBe(4000);
});
