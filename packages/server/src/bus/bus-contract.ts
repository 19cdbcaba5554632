import { afterEach, expect, it } from 'vitest';
import type { Bus } from './bus.ts';

/**
 * The behaviour every Bus implementation must have. `makeBus` returns buses
 * that share one backend (two calls = two instances of a cluster).
 */
export function busContract(makeBus: () => Promise<Bus>): void {
  const opened: Bus[] = [];
  const open = async () => {
    const bus = await makeBus();
    opened.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  const collect = () => {
    const got: string[] = [];
    return { got, listener: (p: string) => void got.push(p) };
  };
  const settle = () => new Promise((r) => setTimeout(r, 50));
  const channel = () => `test:${crypto.randomUUID()}`;

  it('delivers a payload to every subscriber of the channel, on every instance', async () => {
    const [x, y] = [await open(), await open()];
    const ch = channel();
    const one = collect();
    const two = collect();
    await x.subscribe(ch, one.listener);
    await y.subscribe(ch, two.listener);
    await x.publish(ch, 'hello');
    await expect.poll(() => [one.got, two.got]).toEqual([['hello'], ['hello']]);
  });

  it('keeps channels apart and preserves the order of one publisher', async () => {
    const [x, y] = [await open(), await open()];
    const [ch1, ch2] = [channel(), channel()];
    const one = collect();
    await y.subscribe(ch1, one.listener);
    await x.publish(ch2, 'elsewhere');
    for (let i = 0; i < 20; i++) await x.publish(ch1, `m${i}`);
    await expect.poll(() => one.got.length).toBe(20);
    expect(one.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('stops delivering after unsubscribe, without disturbing other subscribers', async () => {
    const x = await open();
    const ch = channel();
    const one = collect();
    const two = collect();
    const stop = await x.subscribe(ch, one.listener);
    await x.subscribe(ch, two.listener);
    await stop();
    await x.publish(ch, 'after');
    await expect.poll(() => two.got).toEqual(['after']);
    await settle();
    expect(one.got).toEqual([]);
  });

  it('accepts a publish to a channel nobody listens on', async () => {
    const x = await open();
    await expect(x.publish(channel(), 'void')).resolves.toBeUndefined();
  });
}
