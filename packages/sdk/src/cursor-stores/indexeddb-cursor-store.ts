import type { ConversationId, Seq } from '@parley/protocol';
import { IdbRecords } from '../idb-records.ts';
import type { CursorStore } from './cursor-store.ts';

interface CursorRecord {
  conversation_id: ConversationId;
  seq: Seq;
}

/**
 * Cursors in the browser's IndexedDB, one record per conversation. Each save
 * is one transaction and resolves once committed. Its own database by
 * default, so upgrading it never waits on the outbox's.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url: location.origin, cursors: new IndexedDbCursorStore() });
 * ```
 */
export class IndexedDbCursorStore implements CursorStore {
  private readonly records: IdbRecords<CursorRecord>;

  constructor(databaseName = 'parley-sdk-cursors', storeName = 'cursors', factory: IDBFactory = globalThis.indexedDB) {
    this.records = new IdbRecords(databaseName, storeName, 'conversation_id', factory);
  }

  async load(): Promise<Record<ConversationId, Seq>> {
    return Object.fromEntries((await this.records.all()).map((r) => [r.conversation_id, r.seq]));
  }

  save(conversationId: ConversationId, seq: Seq): Promise<void> {
    return this.records.put({ conversation_id: conversationId, seq });
  }

  delete(conversationId: ConversationId): Promise<void> {
    return this.records.delete(conversationId);
  }

  close(): Promise<void> {
    return this.records.close();
  }
}
