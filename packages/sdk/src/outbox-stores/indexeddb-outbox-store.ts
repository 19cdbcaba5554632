import { IdbRecords } from '../idb-records.ts';
import { copyEntry, type OutboxEntry, type OutboxStore } from './outbox-store.ts';

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
  private readonly records: IdbRecords<OutboxEntry>;

  constructor(databaseName = 'parley-sdk', storeName = 'outbox', factory: IDBFactory = globalThis.indexedDB) {
    this.records = new IdbRecords(databaseName, storeName, 'client_msg_id', factory);
  }

  async load(): Promise<OutboxEntry[]> {
    return (await this.records.all()).map(copyEntry);
  }

  put(entry: OutboxEntry): Promise<void> {
    return this.records.put(copyEntry(entry));
  }

  delete(clientMsgId: string): Promise<void> {
    return this.records.delete(clientMsgId);
  }

  /** Closes the database connection (another version of the app may then upgrade it). */
  close(): Promise<void> {
    return this.records.close();
  }
}
