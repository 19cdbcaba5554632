import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.ts';

const conversation_id = '0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10';

describe('decodeFrame', () => {
  it('accepts a valid send_message', () => {
    const raw = JSON.stringify({ type: 'send_message', id: '1', conversation_id, message: { type: 'text', text: 'hi', client_msg_id: 'c1' } });
    expect(decodeFrame(raw)).toMatchObject({ ok: true, frame: { type: 'send_message' } });
  });

  const tooManyCursors = Object.fromEntries(Array.from({ length: 501 }, () => [crypto.randomUUID(), 0]));
  it.each([
    ['not json', '{', 'malformed_json'],
    ['an array', '[]', 'validation_failed'],
    ['null', 'null', 'validation_failed'],
    ['no type', '{}', 'unknown_type'],
    ['unknown type', '{"type":"x"}', 'unknown_type'],
    ['prototype key as type', '{"type":"__proto__"}', 'unknown_type'],
    ['missing message', JSON.stringify({ type: 'send_message', conversation_id }), 'validation_failed'],
    ['text too long', JSON.stringify({ type: 'send_message', conversation_id, message: { type: 'text', text: 'x'.repeat(16_001), client_msg_id: 'c' } }), 'validation_failed'],
    ['fractional seq', JSON.stringify({ type: 'read', conversation_id, seq: 1.5 }), 'validation_failed'],
    ['non-uuid cursor key', JSON.stringify({ type: 'sync', cursors: { 'not-a-uuid': 1 } }), 'validation_failed'],
    ['too many cursors', JSON.stringify({ type: 'sync', cursors: tooManyCursors }), 'validation_failed'],
  ].map(([name, raw, code]) => ({ name: name!, raw: raw!, code: code! })))('refuses $name with $code', ({ raw, code }) => {
    const result = decodeFrame(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });

  it('echoes a usable id even when the rest is invalid, and drops an oversized one', () => {
    expect(decodeFrame('{"type":"sync","id":"abc"}')).toMatchObject({ ok: false, id: 'abc' });
    expect(decodeFrame(JSON.stringify({ type: 'sync', id: 'x'.repeat(65) }))).toMatchObject({ ok: false, id: undefined });
  });
});
