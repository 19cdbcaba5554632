import { expect, it } from 'vitest';
import { decodeUserPayload, encodeControl, encodeUserFrame, type ControlMessage } from './control.ts';

it('reads back every control message it encodes', () => {
  const messages: ControlMessage[] = [
    { type: 'revoke', sessionId: null },
    { type: 'revoke', sessionId: 's1' },
    { type: 'unwatch', userIds: ['u1', 'u2'] },
    { type: 'room', conversationId: 'c1', listen: true },
  ];
  for (const message of messages) expect(decodeUserPayload(encodeControl(message))).toEqual({ kind: 'control', message });
});

it('passes any frame through as a frame, whatever its text says', () => {
  // What the hub used to recognise by its first bytes is now just a frame.
  for (const payload of ['{"type":"_revoke","session_id":null}', '{"type":"conversation","event":"removed","conversation":{"id":"c"}}', '{"type":"message","text":"\\u0001"}']) {
    expect(decodeUserPayload(payload)).toEqual({ kind: 'frame', payload, conversationId: null });
  }
});

it('carries the conversation a frame is about beside it, and gives the frame back unchanged', () => {
  const json = '{"type":"message","conversation_id":"c1","message":{"text":"\\u0002x\\u0002"}}';
  expect(decodeUserPayload(encodeUserFrame('c1', json))).toEqual({ kind: 'frame', payload: json, conversationId: 'c1' });
  expect(decodeUserPayload(encodeUserFrame(null, json))).toEqual({ kind: 'frame', payload: json, conversationId: null });
});
