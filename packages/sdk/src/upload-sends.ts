import type { ConversationId } from '@parley/protocol';
import { ParleyError, asParleyError } from './errors.ts';
import type { Outbox } from './outbox.ts';
import type { OutboxEntry } from './outbox-stores/outbox-store.ts';
import type { StoredUpload, UploadStore } from './upload-stores/upload-store.ts';
import type { Upload } from './uploads.ts';

/**
 * Messages that wait for their files (`client.send(…, { uploads })`). The
 * outbox entry (text, `client_msg_id`) is durable in the OutboxStore; each
 * file's bytes and tus URL are kept in the UploadStore until the server has
 * every byte, then forgotten. After a reload, `resume` starts each file again
 * from the server's offset (tus HEAD) and the entry is sent, once, with its
 * same `client_msg_id`, when the last file is in.
 *
 * Why a store beside the outbox rather than the files inside its entries:
 * the outbox stores are small JSON records (the Node one is a JSON file),
 * rewritten on every change, while a file may be a hundred megabytes that
 * is written once and deleted once.
 */
export class UploadSends {
  /** Uploads running on this client, by key. */
  private readonly running = new Map<string, Upload>();

  constructor(
    private readonly deps: {
      store: UploadStore;
      outbox: Outbox;
      upload: (conversationId: ConversationId, file: Blob | Uint8Array, options: { url?: string; name: string }) => Upload;
      onError: (err: ParleyError) => void;
    },
  ) {}

  /** At send: keeps each running upload's bytes and URL until the server has them, and tells the outbox when it does. */
  attach(entry: OutboxEntry, uploads: Array<{ key: string; upload: Upload }>): void {
    for (const { key, upload } of uploads) {
      const record: StoredUpload = {
        key,
        client_msg_id: entry.client_msg_id,
        conversation_id: entry.conversation_id,
        user_id: entry.user_id,
        name: upload.name,
        url: upload.url,
        file: upload.file,
      };
      this.watch(record, upload, upload.state !== 'done');
    }
  }

  /**
   * Starts the uploads that pending entries wait for and that do not run
   * here (after a reload, or when a failed entry is retried). An entry whose
   * file is no longer on this device fails (the app may discard it).
   */
  async resume(entries: OutboxEntry[]): Promise<void> {
    const waiting = entries.flatMap((e) =>
      e.status === 'pending' && e.uploads ? e.uploads.filter((u) => !u.id && !this.running.has(u.key)).map((u) => ({ entry: e, key: u.key })) : [],
    );
    if (waiting.length === 0) return;
    let stored: Map<string, StoredUpload>;
    try {
      stored = new Map((await this.deps.store.load()).map((r) => [r.key, r]));
    } catch (err) {
      this.deps.onError(new ParleyError('internal', 'upload store could not be read', { cause: err }));
      return;
    }
    for (const { entry, key } of waiting) {
      if (this.running.has(key)) continue;
      const record = stored.get(key);
      if (!record) {
        this.deps.outbox.uploadFailed(entry.client_msg_id, new ParleyError('closed', 'the file to send is no longer on this device'));
        continue;
      }
      this.watch(record, this.deps.upload(record.conversation_id, record.file, { url: record.url ?? undefined, name: record.name }), false);
    }
  }

  /** A discarded entry: its uploads stop, and the server and this device forget them. */
  forget(entry: OutboxEntry): void {
    for (const { key } of entry.uploads ?? []) {
      const upload = this.running.get(key);
      this.running.delete(key);
      void upload?.cancel();
      this.deps.store.delete(key).catch((err: unknown) => this.deps.onError(asParleyError(err)));
    }
  }

  private watch(record: StoredUpload, upload: Upload, persist: boolean): void {
    const { key, client_msg_id: clientMsgId } = record;
    this.running.set(key, upload);
    const save = () => this.deps.store.put({ ...record }).catch((err: unknown) => this.deps.onError(new ParleyError('internal', 'upload store write failed', { cause: err })));
    // Writes one after another: the last URL is the one kept, and the delete comes after every put.
    let writes: Promise<void> = persist ? save() : Promise.resolve();
    upload.on('progress', () => {
      if (upload.url === record.url) return;
      record.url = upload.url;
      writes = writes.then(save);
    });
    upload.start().then(
      async (id) => {
        this.running.delete(key);
        this.deps.outbox.uploaded(clientMsgId, key, id);
        await writes;
        await this.deps.store.delete(key).catch((err: unknown) => this.deps.onError(asParleyError(err)));
      },
      (err: unknown) => {
        if (this.running.get(key) === upload) this.running.delete(key);
        if (upload.state === 'cancelled') return;
        const error = asParleyError(err);
        // The server no longer has the upload (collected, or cancelled elsewhere): a retry starts a new one.
        if (error.code === 'not_found' && record.url) {
          record.url = null;
          writes = writes.then(save);
        }
        // The bytes stay stored: a retry of the entry starts the upload again from them.
        this.deps.outbox.uploadFailed(clientMsgId, error);
      },
    );
  }
}
