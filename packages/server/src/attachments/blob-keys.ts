import { PassThrough, type Readable } from 'node:stream';
import type { BlobStore } from './storage/blob-store.ts';
import type { AttachmentId } from './attachments-repo.ts';

/** Where an upload's pieces, its served file and its thumbnail live in the blob store. */
export const blobKeys = {
  part: (id: AttachmentId, start: number) => `uploads/${id}/${start}`,
  file: (id: AttachmentId) => `files/${id}`,
  thumbnail: (id: AttachmentId) => `thumbnails/${id}`,
};

/** The upload's parts read one after another as one stream (each opened only when the previous one ends). */
export function concatParts(store: BlobStore, id: AttachmentId, parts: Array<{ start: number }>): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      for (const part of parts) {
        const piece = await store.get(blobKeys.part(id, part.start));
        for await (const chunk of piece) {
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
          if (out.destroyed) {
            piece.destroy();
            return;
          }
        }
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}

/** Deletes the upload's parts (after processing, or when the upload is collected). */
export async function deleteParts(store: BlobStore, id: AttachmentId, parts: Array<{ start: number }>): Promise<void> {
  for (const part of parts) await store.delete(blobKeys.part(id, part.start));
}
