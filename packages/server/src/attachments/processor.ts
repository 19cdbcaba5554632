import type { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import type { BlobStore } from './storage/blob-store.ts';
import { blobKeys, concatParts, deleteParts } from './blob-keys.ts';
import type { AttachmentRow } from './attachments-repo.ts';
import type { ClamdScanner } from './clamd.ts';

/** Types whose bytes are decoded and re-encoded (metadata stripped, thumbnail made). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** Longest side of a thumbnail, pixels. */
export const THUMBNAIL_SIZE = 320;
/** Bytes read for type detection (file-type's own sample size). */
const SNIFF_BYTES = 4100;
/** Decoding refuses images above this many pixels (a decompression bomb), as sharp's default does. */
const MAX_PIXELS = 268_402_689;

export type Outcome =
  | { status: 'clean'; contentType: string; width: number | null; height: number | null; objectKey: string; thumbnailKey: string | null; keysToDelete: string[] }
  | { status: 'blocked'; reason: 'malware' | 'type_not_allowed'; contentType: string; signature?: string }
  | { status: 'failed'; reason: 'unreadable'; contentType: string };

/**
 * What happens to an upload between its last byte and `clean`: the type from
 * its first bytes (never the name or the client's header), checked against
 * the operator's allowlist; the malware scan (when on); then for images a
 * re-encode that keeps the pixels and drops every metadata block (EXIF, GPS,
 * XMP, comments) with the dimensions recorded, and a thumbnail. Other files
 * are served as stored. Everything streams from the blob store and back.
 * Throws ScannerUnavailable when clamd cannot be reached: the job is retried.
 */
export class AttachmentProcessor {
  constructor(
    private readonly store: BlobStore,
    private readonly options: { allowedTypes: ReadonlySet<string>; scanner: ClamdScanner | null },
  ) {}

  async process(row: AttachmentRow, parts: Array<{ start: number; size: number }>): Promise<Outcome> {
    const read = () => concatParts(this.store, row.id, parts);
    const detected = await fileTypeFromBuffer(await readHead(read(), SNIFF_BYTES));
    const contentType = detected?.mime ?? 'application/octet-stream';
    if (!this.options.allowedTypes.has(contentType)) return { status: 'blocked', reason: 'type_not_allowed', contentType };

    if (this.options.scanner) {
      const result = await this.options.scanner.scan(read());
      if (result.infected) return { status: 'blocked', reason: 'malware', contentType, signature: result.signature };
    }

    if (IMAGE_TYPES.has(contentType)) {
      try {
        return await this.sanitiseImage(row, read, contentType, parts);
      } catch (err) {
        if (err instanceof Error && /Input|unsupported|corrupt|pixel limit|VipsJpeg|pngload|gifload|webpload|bad seek/i.test(err.message)) {
          return { status: 'failed', reason: 'unreadable', contentType };
        }
        throw err;
      }
    }
    if (parts.length === 1) {
      // One part is already the whole file: serve it where it is.
      return { status: 'clean', contentType, width: null, height: null, objectKey: blobKeys.part(row.id, parts[0]!.start), thumbnailKey: null, keysToDelete: [] };
    }
    await this.store.put(blobKeys.file(row.id), read());
    return { status: 'clean', contentType, width: null, height: null, objectKey: blobKeys.file(row.id), thumbnailKey: null, keysToDelete: parts.map((p) => blobKeys.part(row.id, p.start)) };
  }

  private async sanitiseImage(
    row: AttachmentRow,
    read: () => Readable,
    contentType: string,
    parts: Array<{ start: number }>,
  ): Promise<Outcome> {
    const animated = contentType === 'image/gif' || contentType === 'image/webp';
    // rotate() applies the EXIF orientation to the pixels before the EXIF is dropped (sharp keeps no metadata unless asked).
    const clean = sharp({ animated, limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
    let width: number | null = null;
    let height: number | null = null;
    clean.on('info', (info: OutputInfo) => {
      width = info.width;
      height = info.pageHeight ?? info.height;
    });
    await this.store.put(blobKeys.file(row.id), pipeInto(read(), clean));
    const thumb = sharp({ limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 });
    await this.store.put(blobKeys.thumbnail(row.id), pipeInto(read(), thumb));
    return {
      status: 'clean',
      contentType,
      width,
      height,
      objectKey: blobKeys.file(row.id),
      thumbnailKey: blobKeys.thumbnail(row.id),
      keysToDelete: parts.map((p) => blobKeys.part(row.id, p.start)),
    };
  }

  async deleteKeys(keys: string[]): Promise<void> {
    for (const key of keys) await this.store.delete(key);
  }

  /** Removes every object an attachment may have in the store. */
  async removeObjects(row: Pick<AttachmentRow, 'id' | 'object_key' | 'thumbnail_key'>, parts: Array<{ start: number }>): Promise<void> {
    await deleteParts(this.store, row.id, parts);
    await this.store.delete(blobKeys.file(row.id));
    await this.store.delete(blobKeys.thumbnail(row.id));
    if (row.object_key) await this.store.delete(row.object_key);
  }
}

function pipeInto(source: Readable, transform: Sharp): Readable {
  source.on('error', (err) => transform.destroy(err));
  return source.pipe(transform);
}

/** The first `n` bytes of a stream (fewer if it is shorter); the rest is not read. */
async function readHead(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    have += (chunk as Buffer).length;
    if (have >= n) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, n);
}
