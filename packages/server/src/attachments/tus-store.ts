import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import type { BlobStore } from './storage/blob-store.ts';
import { blobKeys, deleteParts } from './blob-keys.ts';
import type { AttachmentsRepo } from './attachments-repo.ts';

/**
 * A tus DataStore on Parley's BlobStore, with the upload's state in the
 * attachments table (so any instance can take the next PATCH of an upload
 * that started elsewhere). Each PATCH body is streamed into its own part
 * object (`uploads/<id>/<start>`); S3 has no append, and parts need none.
 * When a client's connection drops, tus ends the body stream gracefully and
 * the bytes that arrived are kept as a part: the client resumes from there.
 *
 * Rows are created by the upload route before tus runs (quota and membership
 * are checked in that one statement), so `create` only confirms the row.
 */
export class TusBlobDataStore extends DataStore {
  constructor(
    private readonly store: BlobStore,
    private readonly repo: AttachmentsRepo,
    /** Told when an upload's last byte is stored (wakes the processing worker). */
    private readonly onComplete: (id: string) => void,
    /** Told the size of each part kept (bytes received, for the metrics). */
    private readonly onBytes: (bytes: number) => void = () => {},
  ) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'termination'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const row = await this.repo.get(upload.id);
    if (!row || row.size === null || Number(row.size) !== upload.size) throw ERRORS.FILE_NOT_FOUND;
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const row = await this.repo.get(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      size: Number(row.size),
      offset: Number(row.received),
      metadata: { filename: row.name, conversation_id: row.conversation_id },
      creation_date: row.created_at.toISOString(),
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const key = blobKeys.part(id, offset);
    const { size } = await this.store.put(key, stream);
    if (size === 0) {
      await this.store.delete(key);
      return offset;
    }
    const recorded = await this.repo.recordPart(id, offset, size);
    if (!recorded) {
      // Another request stored these bytes first (or the upload was removed): this copy is not part of it.
      await this.store.delete(key);
      throw ERRORS.INVALID_OFFSET;
    }
    this.onBytes(size);
    if (recorded.complete) this.onComplete(id);
    return recorded.received;
  }

  /** Termination (tus DELETE): only an unfinished upload; a finished one belongs to the processing pipeline. */
  override async remove(id: string): Promise<void> {
    const row = await this.repo.get(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    if (row.status !== 'uploading') throw ERRORS.FILE_NO_LONGER_EXISTS;
    await deleteParts(this.store, id, await this.repo.parts(id));
    await this.repo.remove(id);
  }
}
