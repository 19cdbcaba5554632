import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BlobNotFound, type BlobStore } from './blob-store.ts';

/** Bytes generated chunk by chunk, so a large body never exists whole in the test either. */
export function generated(size: number, seed = 1): { stream: () => Readable; sha256: string } {
  const chunk = (i: number, n: number) => {
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) b[j] = (i * 31 + j * 7 + seed) & 0xff;
    return b;
  };
  const CHUNK = 64 * 1024;
  const hash = createHash('sha256');
  for (let i = 0, left = size; left > 0; i++, left -= CHUNK) hash.update(chunk(i, Math.min(CHUNK, left)));
  return {
    sha256: hash.digest('hex'),
    stream: () =>
      Readable.from(
        (function* () {
          for (let i = 0, left = size; left > 0; i++, left -= CHUNK) yield chunk(i, Math.min(CHUNK, left));
        })(),
      ),
  };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What every BlobStore must do; `makeStore` gives a store with its own empty key space. */
export function blobStoreContract(makeStore: () => Promise<BlobStore>): void {
  describe('BlobStore contract', () => {
    it('stores a stream and gives the same bytes back', async () => {
      const store = await makeStore();
      const body = randomBytes(1000);
      expect(await store.put('files/a', Readable.from([body]))).toEqual({ size: 1000 });
      expect(await buffer(await store.get('files/a'))).toEqual(body);
      expect(await store.stat('files/a')).toEqual({ size: 1000 });
    });

    it('streams a body larger than one multipart part (12 MiB) unchanged', async () => {
      const store = await makeStore();
      const big = generated(12 * 1024 * 1024 + 123);
      expect(await store.put('files/big', big.stream())).toEqual({ size: 12 * 1024 * 1024 + 123 });
      expect(await sha256Of(await store.get('files/big'))).toBe(big.sha256);
    });

    it('stores an empty object', async () => {
      const store = await makeStore();
      expect(await store.put('files/empty', Readable.from([]))).toEqual({ size: 0 });
      expect(await store.stat('files/empty')).toEqual({ size: 0 });
      expect((await buffer(await store.get('files/empty'))).length).toBe(0);
    });

    it('reads an inclusive byte range', async () => {
      const store = await makeStore();
      await store.put('files/r', Readable.from([Buffer.from('0123456789')]));
      expect((await buffer(await store.get('files/r', { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await buffer(await store.get('files/r', { start: 9, end: 9 }))).toString()).toBe('9');
    });

    it('replaces an object on a second put', async () => {
      const store = await makeStore();
      await store.put('files/x', Readable.from([Buffer.from('first version')]));
      await store.put('files/x', Readable.from([Buffer.from('second')]));
      expect((await buffer(await store.get('files/x'))).toString()).toBe('second');
    });

    it('says a missing object is missing', async () => {
      const store = await makeStore();
      expect(await store.stat('files/none')).toBeNull();
      await expect(store.get('files/none')).rejects.toBeInstanceOf(BlobNotFound);
      await store.delete('files/none');
    });

    it('deletes', async () => {
      const store = await makeStore();
      await store.put('files/d', Readable.from([Buffer.from('bye')]));
      await store.delete('files/d');
      expect(await store.stat('files/d')).toBeNull();
      await expect(store.get('files/d')).rejects.toBeInstanceOf(BlobNotFound);
    });

    it('leaves no object when the body fails half-way', async () => {
      const store = await makeStore();
      const failing = Readable.from(
        (async function* () {
          yield randomBytes(6 * 1024 * 1024);
          throw new Error('connection lost');
        })(),
      );
      await expect(store.put('files/broken', failing)).rejects.toThrow();
      expect(await store.stat('files/broken')).toBeNull();
    });

    it('refuses keys that are not plain relative paths', async () => {
      const store = await makeStore();
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/../b', '']) {
        await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}
