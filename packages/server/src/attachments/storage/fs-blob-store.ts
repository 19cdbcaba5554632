import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFound, checkKey, type BlobKey, type BlobStore, type ByteRange } from './blob-store.ts';

/**
 * Blobs as files under one directory (the embedded tier: `DATA_DIR/blobs`).
 * A put writes a temporary file beside the target and renames it into place,
 * so a reader never sees half an object and a failed put leaves nothing.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: BlobKey): string {
    return join(this.root, checkKey(key));
  }

  async put(key: BlobKey, body: Readable): Promise<{ size: number }> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${crypto.randomUUID()}.partial`;
    const out = createWriteStream(temp, { flags: 'wx' });
    try {
      await pipeline(body, out);
      await rename(temp, target);
      return { size: out.bytesWritten };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    if (!(await this.stat(key))) throw new BlobNotFound(key);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: BlobKey): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { size: s.size } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    // Folders made for keys (uploads/<id>/) go with their last object, so nothing of a deleted file lingers.
    for (let dir = dirname(path); dir.startsWith(this.root + '/') && dir !== this.root; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or already gone)
      }
    }
  }
}
