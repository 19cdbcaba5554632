import { describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { frameText, type WebSocketConstructor } from './socket.ts';

describe('WebSocketConstructor', () => {
  it('is satisfied by the ws package and by the DOM WebSocket without a cast', () => {
    // These assignments are the test: they stop compiling if either implementation stops fitting.
    const node: WebSocketConstructor = WsWebSocket;
    const browser: WebSocketConstructor = globalThis.WebSocket;
    expect(typeof node).toBe('function');
    expect(browser === undefined || typeof browser === 'function').toBe(true);
  });
});

describe('frameText', () => {
  it('reads strings, Buffers and ArrayBuffers, and refuses anything else', () => {
    expect(frameText('{"type":"pong"}')).toBe('{"type":"pong"}');
    expect(frameText(Buffer.from('{"a":1}'))).toBe('{"a":1}');
    expect(frameText(new TextEncoder().encode('x').buffer)).toBe('x');
    expect(frameText(42)).toBeNull();
  });
});
