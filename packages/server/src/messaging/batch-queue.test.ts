import { describe, expect, it } from 'vitest';
import { BatchQueue } from './batch-queue.ts';

/** A BatchQueue whose batches finish only when the test says so; records when each starts. */
function controlled(options?: ConstructorParameters<typeof BatchQueue<string, string>>[2]) {
  const started: string[][] = [];
  const finish: Array<() => void> = [];
  const queue = new BatchQueue<string, string>(
    (inputs) =>
      new Promise((resolve) => {
        started.push(inputs);
        finish.push(() => resolve(inputs.map((i) => `done ${i}`)));
      }),
    8,
    options,
  );
  return { queue, started, finish };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchQueue', () => {
  it('runs one batch at a time by default: what arrives meanwhile goes in the next batch', async () => {
    const { queue, started, finish } = controlled();
    const a = queue.add('a:1');
    const b = queue.add('b:1');
    const c = queue.add('c:1');
    expect(started).toEqual([['a:1']]);
    finish[0]!();
    await tick();
    expect(started).toEqual([['a:1'], ['b:1', 'c:1']]);
    finish[1]!();
    expect(await Promise.all([a, b, c])).toEqual(['done a:1', 'done b:1', 'done c:1']);
  });

  it('with concurrency and a key, runs batches of other keys at once and holds back a busy key in order', async () => {
    const key = (s: string) => s.split(':')[0]!;
    const { queue, started, finish } = controlled({ concurrency: 2, keyOf: key });
    const results = [queue.add('a:1'), queue.add('b:1'), queue.add('a:2'), queue.add('c:1'), queue.add('a:3')];
    // a:1 runs; b:1 does not wait for it (another key); the rest wait for a free slot.
    expect(started).toEqual([['a:1'], ['b:1']]);
    finish[1]!(); // b's batch commits: the next batch skips key a, still held by the first batch
    await tick();
    expect(started[2]).toEqual(['c:1']);
    finish[0]!(); // a:1 done: a:2 and a:3 go together, in order
    await tick();
    expect(started[3]).toEqual(['a:2', 'a:3']);
    finish[2]!();
    finish[3]!();
    expect(await Promise.all(results)).toEqual(['done a:1', 'done b:1', 'done a:2', 'done c:1', 'done a:3']);
    expect(started).toHaveLength(4);
  });
});
