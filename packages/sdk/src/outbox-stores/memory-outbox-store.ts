import { copyEntry, type OutboxEntry, type OutboxStore } from './outbox-store.ts';

/**
 * An outbox kept in memory: it survives reconnects but not a reload or a
 * restart. The default when no store is given.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url, outbox: new MemoryOutboxStore() });
 * ```
 */
export class MemoryOutboxStore implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>();

  async load(): Promise<OutboxEntry[]> {
    return [...this.entries.values()].map(copyEntry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.client_msg_id, copyEntry(entry));
  }

  async delete(clientMsgId: string): Promise<void> {
    this.entries.delete(clientMsgId);
  }
}
