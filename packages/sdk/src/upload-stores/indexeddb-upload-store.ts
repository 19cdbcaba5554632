import { IdbRecords } from '../idb-records.ts';
import type { StoredUpload, UploadStore } from './upload-store.ts';

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
  private readonly records: IdbRecords<StoredUpload>;

  constructor(databaseName = 'parley-sdk-uploads', factory: IDBFactory = globalThis.indexedDB) {
    this.records = new IdbRecords(databaseName, 'uploads', 'key', factory);
  }

  async load(): Promise<StoredUpload[]> {
    return (await this.records.all()).map((u) => ({ ...u }));
  }

  put(upload: StoredUpload): Promise<void> {
    return this.records.put({ ...upload });
  }

  delete(key: string): Promise<void> {
    return this.records.delete(key);
  }

  close(): Promise<void> {
    return this.records.close();
  }
}
