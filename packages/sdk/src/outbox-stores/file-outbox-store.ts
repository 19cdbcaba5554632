import { JsonFileMap } from '../json-file-map.ts';
import { copyEntry, type OutboxEntry, type OutboxStore } from './outbox-store.ts';

interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
}

/**
 * An outbox in one JSON file, for Node (import it from `@parley/sdk/node`).
 * Every change rewrites the file atomically (see `JsonFileMap`), so a crash at
 * any moment leaves either the old outbox or the new one, never half of each;
 * changes that arrive while a write is under way go together in the next write.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url, WebSocket, outbox: new FileOutboxStore('./data/outbox.json') });
 * ```
 */
export class FileOutboxStore implements OutboxStore {
  private readonly file: JsonFileMap<string, OutboxEntry>;

  constructor(readonly path: string) {
    this.file = new JsonFileMap(path, {
      decode(value) {
        const file = value as OutboxFile;
        if (file?.version !== 1 || !Array.isArray(file.entries)) throw new Error('unknown outbox file format');
        return new Map(file.entries.map((e) => [e.client_msg_id, e]));
      },
      encode: (entries) => ({ version: 1, entries: [...entries.values()].sort((a, b) => a.order - b.order) }) satisfies OutboxFile,
    });
  }

  async load(): Promise<OutboxEntry[]> {
    return [...(await this.file.map()).values()].map(copyEntry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    (await this.file.map()).set(entry.client_msg_id, copyEntry(entry));
    await this.file.persist();
  }

  async delete(clientMsgId: string): Promise<void> {
    if ((await this.file.map()).delete(clientMsgId)) await this.file.persist();
  }
}
