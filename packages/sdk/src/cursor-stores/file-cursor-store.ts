import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConversationId, Seq } from '@parley/protocol';
import type { CursorStore } from './cursor-store.ts';

interface CursorFile {
  version: 1;
  cursors: Record<ConversationId, Seq>;
}

/**
 * Cursors in one JSON file, for Node (import it from `@parley/sdk/node`).
 * Every change rewrites the file atomically — a temporary file beside it,
 * synced, then renamed over it — so a kill at any moment leaves the old
 * cursors or the new ones. Saves that arrive while a write is under way go
 * together in the next write.
 *
 * @example
 * ```ts
 * import { FileCursorStore } from '@parley/sdk/node';
 * const client = new ParleyClient({ url, cursors: new FileCursorStore('./data/cursors.json') });
 * ```
 */
export class FileCursorStore implements CursorStore {
  private cursors: Promise<Map<ConversationId, Seq>> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async load(): Promise<Record<ConversationId, Seq>> {
    return Object.fromEntries(await this.read());
  }

  async save(conversationId: ConversationId, seq: Seq): Promise<void> {
    (await this.read()).set(conversationId, seq);
    await this.persist();
  }

  async delete(conversationId: ConversationId): Promise<void> {
    if ((await this.read()).delete(conversationId)) await this.persist();
  }

  private read(): Promise<Map<ConversationId, Seq>> {
    this.cursors ??= this.readFile();
    return this.cursors;
  }

  private async readFile(): Promise<Map<ConversationId, Seq>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return new Map();
      throw err;
    }
    try {
      const file = JSON.parse(text) as CursorFile;
      if (file.version !== 1 || typeof file.cursors !== 'object' || file.cursors === null) throw new Error('unknown cursor file format');
      return new Map(Object.entries(file.cursors).filter(([, seq]) => Number.isInteger(seq) && seq >= 0));
    } catch {
      // Renames make a torn write impossible, so this is someone else's file: keep it aside rather than lose it.
      await rename(this.path, `${this.path}.unreadable-${Date.now()}`);
      return new Map();
    }
  }

  private persist(): Promise<void> {
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

  private async write(): Promise<void> {
    const body = JSON.stringify({ version: 1, cursors: Object.fromEntries(await this.read()) } satisfies CursorFile);
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
