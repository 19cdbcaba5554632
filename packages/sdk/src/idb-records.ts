const VERSION = 1;

/**
 * One object store of records in the browser's IndexedDB, in a database of
 * its own (so upgrading it never waits on another store's), opened on first
 * use. Each write is one transaction and resolves once it has committed, so
 * an acknowledged write survives a reload or a closed tab. The outbox, cursor
 * and upload stores each keep only their record format on top of it.
 */
export class IdbRecords<T> {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly databaseName: string,
    private readonly storeName: string,
    private readonly keyPath: string,
    private readonly factory: IDBFactory | undefined = globalThis.indexedDB,
  ) {}

  async all(): Promise<T[]> {
    const request = (await this.objectStore('readonly')).getAll();
    return (await done(request)) as T[];
  }

  async put(record: T): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.put(record);
    await committed(store.transaction);
  }

  async delete(key: string): Promise<void> {
    const store = await this.objectStore('readwrite');
    store.delete(key);
    await committed(store.transaction);
  }

  /** Closes the database connection (another version of the app may then upgrade it). */
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
        if (!request.result.objectStoreNames.contains(this.storeName)) request.result.createObjectStore(this.storeName, { keyPath: this.keyPath });
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
