import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { blobStoreContract } from './blob-store-contract.ts';
import { FsBlobStore } from './fs-blob-store.ts';

describe('FsBlobStore', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  blobStoreContract(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-blobs-'));
    dirs.push(dir);
    return new FsBlobStore(dir);
  });
});
