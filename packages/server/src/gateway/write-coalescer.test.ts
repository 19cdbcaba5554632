import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { WriteCoalescer } from './write-coalescer.ts';

/** A stream that records how many chunks each system-call-like write carried. */
function recordingStream() {
  const writes: number[] = [];
  const stream = new Writable({
    write(_chunk, _encoding, callback) {
      writes.push(1);
      callback();
    },
    writev(chunks, callback) {
      writes.push(chunks.length);
      callback();
    },
  });
  return { stream, writes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

it("sends the frames a socket gets in one turn together, at the end of the turn's promise callbacks", async () => {
  const coalescer = new WriteCoalescer();
  const a = recordingStream();
  const b = recordingStream();
  const write = (s: Writable, data: string) => {
    coalescer.hold(s);
    s.write(data);
  };
  write(a.stream, 'ack 1');
  await Promise.resolve(); // a promise callback in the same turn (e.g. the next ack of a batch)
  write(a.stream, 'ack 2');
  write(b.stream, 'push 1');
  write(a.stream, 'push 1');
  expect(a.writes).toEqual([]);
  await nextTurn();
  expect(a.writes).toEqual([3]);
  expect(b.writes).toEqual([1]);

  write(a.stream, 'next turn');
  await nextTurn();
  expect(a.writes).toEqual([3, 1]);
});
