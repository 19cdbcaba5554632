import { expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection } from './connection.ts';
import { OTHER_PUSH } from '../bots/scope.ts';

/** A stand-in for a ws socket that records what is written (only what Connection touches). */
function fakeSocket() {
  const written: string[] = [];
  const ws = { OPEN: 1, CONNECTING: 0, CLOSING: 2, CLOSED: 3, readyState: 1, bufferedAmount: 0, send: (p: string | Buffer, options?: { binary?: boolean }) => {
    if (options?.binary) throw new Error('pushes must be text frames');
    written.push(p.toString());
  } };
  return { ws: ws as unknown as WebSocket, written };
}

it('holds fan-out pushes that arrive before ready, and writes them right after it, in order', () => {
  const { ws, written } = fakeSocket();
  const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1 << 20);
  conn.push('{"type":"message","seq":1}', OTHER_PUSH);
  conn.push('{"type":"message","seq":2}', OTHER_PUSH);
  expect(written).toEqual([]);
  conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
  conn.push('{"type":"message","seq":3}', OTHER_PUSH);
  expect(written.map((p) => JSON.parse(p).type + (JSON.parse(p).seq ?? ''))).toEqual(['ready', 'message1', 'message2', 'message3']);
});

it('writes shared bytes from the hub as text frames', () => {
  const { ws, written } = fakeSocket();
  const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1 << 20);
  conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
  conn.push(Buffer.from('{"type":"message","seq":1,"text":"héllo ✓"}'), OTHER_PUSH);
  expect(JSON.parse(written[1]!)).toEqual({ type: 'message', seq: 1, text: 'héllo ✓' });
});

it('remembers the code it closed a slow consumer with (for the close metrics)', () => {
  const { ws } = fakeSocket();
  const closes: number[] = [];
  Object.assign(ws, { resume: () => {}, close: (code: number) => closes.push(code) });
  const conn = new Connection(ws, 'u1', 's1', 0, '127.0.0.1', 1024);
  conn.sendReady({ type: 'ready', user_id: 'u1', connection_id: conn.id, heartbeat_interval: 30 });
  expect(conn.serverCloseCode).toBe(null);
  (ws as unknown as { bufferedAmount: number }).bufferedAmount = 4096;
  conn.push('{"type":"message","seq":1}', OTHER_PUSH);
  expect(closes).toEqual([4000]);
  expect(conn.serverCloseCode).toBe(4000);
});
