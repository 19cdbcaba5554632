import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff (full jitter)', () => {
  it('draws each delay uniformly below min(cap, base × 2^attempt)', () => {
    for (const r of [0, 0.25, 0.5, 0.999_999]) {
      const backoff = new Backoff({ baseMs: 100, capMs: 1000, random: () => r });
      const delays = Array.from({ length: 7 }, () => backoff.next());
      const windows = [100, 200, 400, 800, 1000, 1000, 1000];
      delays.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(windows[i]!);
        expect(d).toBe(Math.floor(r * windows[i]!));
      });
    }
  });

  it('stays in bounds with a real random source, over many draws', () => {
    const backoff = new Backoff({ baseMs: 50, capMs: 5000 });
    for (let i = 0; i < 1000; i++) {
      const ceiling = backoff.ceilingMs;
      const d = backoff.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceiling);
      expect(ceiling).toBeLessThanOrEqual(5000);
    }
  });

  it('never reaches the ceiling even if the random source returns 1, and survives huge attempt counts', () => {
    const backoff = new Backoff({ baseMs: 10, capMs: 100, random: () => 1 });
    for (let i = 0; i < 2000; i++) {
      const ceiling = backoff.ceilingMs;
      expect(backoff.next()).toBe(ceiling - 1);
    }
    expect(backoff.ceilingMs).toBe(100);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 100, capMs: 10_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(50);
  });

  it('refuses settings that make no sense', () => {
    expect(() => new Backoff({ baseMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ baseMs: 100, capMs: 50 })).toThrow(RangeError);
  });
});
