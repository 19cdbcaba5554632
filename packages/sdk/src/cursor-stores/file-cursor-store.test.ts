import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cursorStoreContract } from './cursor-store-contract.ts';
import { FileCursorStore } from './file-cursor-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-cursors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `store-${n++}`, 'cursors.json');

describe('FileCursorStore', () => {
  cursorStoreContract(
    () => new FileCursorStore(freshPath()),
    (store) => new FileCursorStore((store as FileCursorStore).path),
  );

  it('leaves no temporary file behind', async () => {
    const path = freshPath();
    const store = new FileCursorStore(path);
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.save('0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10', i)));
    expect(readdirSync(join(path, '..'))).toEqual(['cursors.json']);
  });

  it('sets an unreadable file aside instead of failing or overwriting it', async () => {
    const path = freshPath();
    await new FileCursorStore(path).save('0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10', 1);
    writeFileSync(path, '{"version":1,');
    expect(await new FileCursorStore(path).load()).toEqual({});
    expect(readdirSync(join(path, '..')).some((f) => f.startsWith('cursors.json.unreadable-'))).toBe(true);
  });
});
