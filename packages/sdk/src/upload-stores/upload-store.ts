import type { ConversationId, UserId } from '@parley/protocol';

/**
 * A file a queued message waits for, kept until the server has every byte:
 * the bytes themselves (a browser keeps no file handle across a reload) and
 * the tus upload URL once the server created it, so the upload resumes from
 * the server's offset instead of starting again.
 */
export interface StoredUpload {
  /** The key the outbox entry names in its `uploads`. */
  key: string;
  client_msg_id: string;
  conversation_id: ConversationId;
  user_id: UserId;
  name: string;
  /** The upload's URL (`upload.url`); null until the server created it. */
  url: string | null;
  file: Blob | Uint8Array;
}

/**
 * Where the bytes of files that queued messages wait for are kept, beside
 * the {@link OutboxStore} (which keeps only small JSON entries): a reload
 * loses neither the message nor its file. Implementations:
 * {@link MemoryUploadStore} (the default: a reload loses the files, and the
 * messages waiting for them fail) and {@link IndexedDbUploadStore} (browsers:
 * Blobs are storable there). Both pass one contract suite.
 */
export interface UploadStore {
  /** Every stored upload, in any order. */
  load(): Promise<StoredUpload[]>;
  /** Inserts or replaces the upload with this `key`. */
  put(upload: StoredUpload): Promise<void>;
  /** Removes an upload; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
}
