import { copyEntry, type OutboxEntry, type OutboxStore } from './outbox-store.ts';

const VERSION = 1;

/**
 * An outbox in the browser's IndexedDB, one record per message keyed by
 * `client_msg_id`. Each change is one transaction and resolves when it has
 * committed, so an acknowledged write survives a reload or a closed tab.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url: location.origin, outbox: new IndexedDbOutboxStore() });
 * ```
 */
export class IndexedDbOutboxStore implements OutboxStore {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly databaseName = 'parley-sdk',
    private readonly storeName = 'outbox',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {}

  async load(): Promise<OutboxEntry[]> {
    const request = (await this.objectStore('readonly')).getAll();
    return ((await done(request)) as OutboxEntry[]).map(copyEntry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.put(copyEntry(entry));
    await committed(store.transaction);
  }

  async delete(clientMsgId: string): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.delete(clientMsgId);
    await committed(store.transaction);
  }

  /** Closes the database connection (another version of the app may then upgrade it). */
  async close(): Promise<void> {
    if (this.db) (await this.db).close();
    this.db = null;
  }

  private async objectStore(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    const db = await this.open();
    return db.transaction(this.storeName, mode).objectStore(this.storeName);
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
          request.result.createObjectStore(this.storeName, { keyPath: 'client_msg_id' });
        }
      };
      request.onsuccess = () => resolve(request.result);
      // While another tab holds an older version open, `onblocked` fires and the open waits for it: so do we.
      request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
    });
    // A failed open is not cached: the next call tries again.
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
