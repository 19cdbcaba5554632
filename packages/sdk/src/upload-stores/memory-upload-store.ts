import type { StoredUpload, UploadStore } from './upload-store.ts';

/** Uploads kept in memory: they survive reconnects but not a reload. The default when no store is given. */
export class MemoryUploadStore implements UploadStore {
  private readonly uploads = new Map<string, StoredUpload>();

  async load(): Promise<StoredUpload[]> {
    return [...this.uploads.values()].map((u) => ({ ...u }));
  }

  async put(upload: StoredUpload): Promise<void> {
    this.uploads.set(upload.key, { ...upload });
  }

  async delete(key: string): Promise<void> {
    this.uploads.delete(key);
  }
}
