import { expect, it } from 'vitest';
import { prepareTextFrame, type PreparedFrame } from './prepared-frame.ts';
import { RoomBatcher } from './room-batcher.ts';
import { eventually } from '../../test/support/eventually.ts';

/** Spins for `ms` (a batch whose writes take that long: what the batcher measures). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

function recorder(costMs: number) {
  const batches: string[] = [];
  const frames = (bytes: PreparedFrame) => batches.push(bytes.toString('latin1').replace(/[^\x20-\x7e]+/g, ' ').trim());
  const stamps: Array<readonly number[]> = [];
  return { batches, stamps, batcher: new RoomBatcher((bytes, given) => (frames(bytes), stamps.push(given), busy(costMs))) };
}

it('writes a lone frame in the same pass of the event loop, then makes frames arriving within the last batch’s cost share the next one, in order', async () => {
  const { batches, batcher } = recorder(5);
  batcher.add(prepareTextFrame('m1'));
  expect(batches).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(batches).toEqual(['m1']);
  // The batch took ~5 ms: what arrives now waits (at most that long) for company.
  batcher.add(prepareTextFrame('m2'));
  batcher.add(prepareTextFrame('m3'));
  await new Promise((resolve) => setImmediate(resolve));
  expect(batches).toEqual(['m1']);
  await eventually(() => expect(batches).toEqual(['m1', 'm2 m3']));
});

it('writes what is pending at once when asked (before the room’s sockets change)', () => {
  const { batches, batcher } = recorder(0);
  batcher.add(prepareTextFrame('m1'));
  batcher.add(prepareTextFrame('m2'));
  batcher.flush();
  expect(batches).toEqual(['m1 m2']);
  batcher.flush();
  expect(batches).toEqual(['m1 m2']);
});

it('hands each batch the stamps its frames were added with, in order, when it writes them', () => {
  const { batches, stamps, batcher } = recorder(0);
  batcher.add(prepareTextFrame('m1'), 1);
  batcher.add(prepareTextFrame('m2'));
  batcher.add(prepareTextFrame('m3'), 3);
  expect(stamps).toEqual([]);
  batcher.flush();
  expect(batches).toEqual(['m1 m2 m3']);
  expect(stamps).toEqual([[1, Number.NaN, 3]]);
});
