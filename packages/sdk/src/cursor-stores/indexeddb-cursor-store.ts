import type { ConversationId, Seq } from '@parley/protocol';
import type { CursorStore } from './cursor-store.ts';

const VERSION = 1;

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
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly databaseName = 'parley-sdk-cursors',
    private readonly storeName = 'cursors',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {}

  async load(): Promise<Record<ConversationId, Seq>> {
    const request = (await this.objectStore('readonly')).getAll();
    const records = (await done(request)) as CursorRecord[];
    return Object.fromEntries(records.map((r) => [r.conversation_id, r.seq]));
  }

  async save(conversationId: ConversationId, seq: Seq): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.put({ conversation_id: conversationId, seq } satisfies CursorRecord);
    await committed(store.transaction);
  }

  async delete(conversationId: ConversationId): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.delete(conversationId);
    await committed(store.transaction);
  }

  async close(): Promise<void> {
    if (this.db) (await this.db).close();
    this.db = null;
  }

  private async objectStore(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.open()).transaction(this.storeName, mode).objectStore(this.storeName);
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (!this.factory) {
        reject(new Error('IndexedDB is not available here'));
        return;
      }
      const request = this.factory.open(this.databaseName, VERSION);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(this.storeName)) {
          request.result.createObjectStore(this.storeName, { keyPath: 'conversation_id' });
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
    });
    this.db.catch(() => (this.db = null));
    return this.db;
  }
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}
