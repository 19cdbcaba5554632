import { copyEntry, type OutboxEntry, type OutboxStore } from './outbox-store.ts';

interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
}

/**
 * An outbox in one JSON file, for Node. Every change rewrites the file
 * atomically: the new content goes to a temporary file beside it, is synced
 * to disk, and is renamed over the old one, so a crash at any moment leaves
 * either the old outbox or the new one, never half of each. Changes that
 * arrive while a write is under way are coalesced into the next write.
 *
 * Node modules are imported on first use, so bundling the SDK for a browser
 * does not pull them in unless this store is used.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url, WebSocket, outbox: new FileOutboxStore('./data/outbox.json') });
 * ```
 */
export class FileOutboxStore implements OutboxStore {
  private entries: Promise<Map<string, OutboxEntry>> | null = null;
  /** The write under way (or the last one); each write starts after it. */
  private writing: Promise<void> = Promise.resolve();
  /** A write queued behind `writing` that has not started: later changes ride along with it. */
  private queued: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async load(): Promise<OutboxEntry[]> {
    return [...(await this.read()).values()].map(copyEntry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    (await this.read()).set(entry.client_msg_id, copyEntry(entry));
    await this.persist();
  }

  async delete(clientMsgId: string): Promise<void> {
    if ((await this.read()).delete(clientMsgId)) await this.persist();
  }

  private read(): Promise<Map<string, OutboxEntry>> {
    this.entries ??= this.readFile();
    return this.entries;
  }

  private async readFile(): Promise<Map<string, OutboxEntry>> {
    const fs = await import('node:fs/promises');
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return new Map();
      throw err;
    }
    try {
      const file = JSON.parse(text) as OutboxFile;
      if (file.version !== 1 || !Array.isArray(file.entries)) throw new Error('unknown outbox file format');
      return new Map(file.entries.map((e) => [e.client_msg_id, e]));
    } catch {
      // Renames make a torn write impossible, so this is someone else's file: keep it aside rather than lose it.
      await fs.rename(this.path, `${this.path}.unreadable-${Date.now()}`);
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
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    const entries = [...(await this.read()).values()].sort((a, b) => a.order - b.order);
    const body = JSON.stringify({ version: 1, entries } satisfies OutboxFile);
    await fs.mkdir(path.dirname(this.path), { recursive: true });
    const temp = `${this.path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      const handle = await fs.open(temp, 'w');
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.path);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => {});
      throw err;
    }
  }
}
