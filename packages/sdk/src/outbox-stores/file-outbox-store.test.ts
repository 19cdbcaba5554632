import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileOutboxStore } from './file-outbox-store.ts';
import { entry, outboxStoreContract } from './outbox-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `store-${n++}`, 'outbox.json');

describe('FileOutboxStore', () => {
  outboxStoreContract(() => new FileOutboxStore(freshPath()));

  it('survives a new instance on the same file (a restart)', async () => {
    const path = freshPath();
    const first = new FileOutboxStore(path);
    await first.put(entry(1));
    await first.put(entry(2, { status: 'failed', error: { code: 'forbidden', message: 'no' } }));
    await first.put(entry(3));
    await first.delete('c-1');

    const second = new FileOutboxStore(path);
    expect((await second.load()).sort((a, b) => a.order - b.order)).toEqual([
      entry(2, { status: 'failed', error: { code: 'forbidden', message: 'no' } }),
      entry(3),
    ]);
    await second.delete('c-3');
    expect(await new FileOutboxStore(path).load()).toEqual([entry(2, { status: 'failed', error: { code: 'forbidden', message: 'no' } })]);
  });

  it('writes by replacing the file whole: no temporary file is left, and the file is always complete JSON', async () => {
    const path = freshPath();
    const store = new FileOutboxStore(path);
    const writes = Array.from({ length: 40 }, (_, i) => store.put(entry(i)));
    // While writes are in flight, whatever is on disk parses.
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    await Promise.all(writes);
    expect(readdirSync(join(path, '..'))).toEqual(['outbox.json']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, entries: expect.any(Array) });
    expect(await new FileOutboxStore(path).load()).toHaveLength(40);
  });

  it('sets an unreadable file aside instead of failing or overwriting it', async () => {
    const path = freshPath();
    const store = new FileOutboxStore(path);
    await store.put(entry(1));
    writeFileSync(path, 'not json');
    const reopened = new FileOutboxStore(path);
    expect(await reopened.load()).toEqual([]);
    const files = readdirSync(join(path, '..'));
    expect(files.some((f) => f.startsWith('outbox.json.unreadable-'))).toBe(true);
  });
});
