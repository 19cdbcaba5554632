import type { ConversationId, Seq } from '@parley/protocol';
import { JsonFileMap } from '../json-file-map.ts';
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
  private readonly file: JsonFileMap<ConversationId, Seq>;

  constructor(readonly path: string) {
    this.file = new JsonFileMap(path, {
      decode(value) {
        const file = value as CursorFile;
        if (file?.version !== 1 || typeof file.cursors !== 'object' || file.cursors === null) throw new Error('unknown cursor file format');
        return new Map(Object.entries(file.cursors).filter(([, seq]) => Number.isInteger(seq) && seq >= 0));
      },
      encode: (cursors) => ({ version: 1, cursors: Object.fromEntries(cursors) }) satisfies CursorFile,
    });
  }

  async load(): Promise<Record<ConversationId, Seq>> {
    return Object.fromEntries(await this.file.map());
  }

  async save(conversationId: ConversationId, seq: Seq): Promise<void> {
    (await this.file.map()).set(conversationId, seq);
    await this.file.persist();
  }

  async delete(conversationId: ConversationId): Promise<void> {
    if ((await this.file.map()).delete(conversationId)) await this.file.persist();
  }
}
