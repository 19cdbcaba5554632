import type { StoredUpload, UploadStore } from './upload-store.ts';

const VERSION = 1;
const STORE = 'uploads';

/**
 * Uploads (their Blob and URL) in the browser's IndexedDB, in a database of
 * their own so that it never has to be upgraded in step with the outbox's.
 * Each change is one transaction and resolves when it has committed.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url: location.origin, outbox: new IndexedDbOutboxStore(), uploads: new IndexedDbUploadStore() });
 * ```
 */
export class IndexedDbUploadStore implements UploadStore {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly databaseName = 'parley-sdk-uploads',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {}

  async load(): Promise<StoredUpload[]> {
    const request = (await this.objectStore('readonly')).getAll();
    return (await new Promise<StoredUpload[]>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result as StoredUpload[]);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    })).map((u) => ({ ...u }));
  }

  async put(upload: StoredUpload): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.put({ ...upload });
    await committed(store.transaction);
  }

  async delete(key: string): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.delete(key);
    await committed(store.transaction);
  }

  async close(): Promise<void> {
    if (this.db) (await this.db).close();
    this.db = null;
  }

  private async objectStore(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.open()).transaction(STORE, mode).objectStore(STORE);
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (!this.factory) {
        reject(new Error('IndexedDB is not available here'));
        return;
      }
      const request = this.factory.open(this.databaseName, VERSION);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE, { keyPath: 'key' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
    });
    this.db.catch(() => (this.db = null));
    return this.db;
  }
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}
