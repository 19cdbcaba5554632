import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.ts';

describe('Emitter', () => {
  it('delivers typed payloads, supports once and off', () => {
    const events = new Emitter<{ n: number; s: string }>();
    const got: Array<number | string> = [];
    const off = events.on('n', (n) => got.push(n));
    events.once('s', (s) => got.push(s));
    events.emit('n', 1);
    events.emit('s', 'a');
    events.emit('s', 'b');
    off();
    events.emit('n', 2);
    expect(got).toEqual([1, 'a']);
    expect(events.listenerCount('n')).toBe(0);
  });

  it('keeps calling the other listeners when one throws, and reports the error', () => {
    const onError = vi.fn();
    const events = new Emitter<{ x: number }>(onError);
    const after = vi.fn();
    events.on('x', () => {
      throw new Error('listener bug');
    });
    events.on('x', after);
    events.emit('x', 1);
    expect(after).toHaveBeenCalledWith(1);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'listener bug' }));
  });

  it('lets a listener remove itself while the event is being delivered', () => {
    const events = new Emitter<{ x: number }>();
    const calls: string[] = [];
    const off = events.on('x', () => {
      calls.push('first');
      off();
    });
    events.on('x', () => calls.push('second'));
    events.emit('x', 1);
    events.emit('x', 2);
    expect(calls).toEqual(['first', 'second', 'second']);
  });
});
