import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How a map is kept in its file: `decode` throws for a file it does not recognise. */
export interface JsonFileFormat<K, V> {
  decode(file: unknown): Map<K, V>;
  encode(map: Map<K, V>): unknown;
}

/**
 * A map kept in one JSON file, for Node (the file stores of `@parley/sdk/node`).
 * It is read once, on first use; every `persist` rewrites the file atomically:
 * a temporary file beside it, synced, then renamed over it, so a kill at any
 * moment leaves the old content or the new, never half of each. Persists that
 * arrive while a write is under way go together in the next write. A file that
 * is not ours is set aside (renamed), never overwritten unread.
 */
export class JsonFileMap<K, V> {
  private content: Promise<Map<K, V>> | null = null;
  /** The write under way (or the last one); each write starts after it. */
  private writing: Promise<void> = Promise.resolve();
  /** A write queued behind `writing` that has not started: later changes ride along with it. */
  private queued: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly format: JsonFileFormat<K, V>,
  ) {}

  /** The map (the same object every time): change it, then `persist`. */
  map(): Promise<Map<K, V>> {
    this.content ??= this.readFile();
    return this.content;
  }

  persist(): Promise<void> {
    if (!this.queued) {
      const next = this.writing.then(() => {
        this.queued = null;
        return this.write();
      });
      this.queued = next;
      this.writing = next.catch(() => {});
    }
    return this.queued;
  }

  private async readFile(): Promise<Map<K, V>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return new Map();
      throw err;
    }
    try {
      return this.format.decode(JSON.parse(text));
    } catch {
      // Renames make a torn write impossible, so this is someone else's file: keep it aside rather than lose it.
      await rename(this.path, `${this.path}.unreadable-${Date.now()}`);
      return new Map();
    }
  }

  private async write(): Promise<void> {
    const body = JSON.stringify(this.format.encode(await this.map()));
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      throw err;
    }
  }
}
