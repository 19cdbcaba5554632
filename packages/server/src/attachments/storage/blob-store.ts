import type { Readable } from 'node:stream';

/** Where an object lives in a blob store: a `/`-separated path such as `files/<attachment id>`. */
export type BlobKey = string;

/** Inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where attachment bytes live: the local filesystem in the embedded tier
 * (`fs-blob-store.ts`), an S3-compatible store in the scaled tier
 * (`s3-blob-store.ts`, every instance sees every file). Bodies are streams,
 * never buffers: a 100 MB upload never sits in memory. One contract suite
 * (`blob-store-contract.ts`) runs against both.
 */
export interface BlobStore {
  /**
   * Stores the stream's bytes under `key`, replacing any object there. All or
   * nothing: if the stream fails, no object (or the previous one) is left.
   * Resolves with the number of bytes stored.
   */
  put(key: BlobKey, body: Readable): Promise<{ size: number }>;
  /** The object's bytes (or the range of them); rejects with `BlobNotFound` when there is none. */
  get(key: BlobKey, range?: ByteRange): Promise<Readable>;
  /** Size of the object, or null when there is none. */
  stat(key: BlobKey): Promise<{ size: number } | null>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: BlobKey): Promise<void>;
}

export class BlobNotFound extends Error {
  constructor(readonly key: BlobKey) {
    super(`no object at ${key}`);
    this.name = 'BlobNotFound';
  }
}

/** Keys are built by the server from ids; anything else is a bug, refused before it reaches a path or a URL. */
export function checkKey(key: BlobKey): BlobKey {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(key) || key.length > 512) {
    throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
  }
  return key;
}
