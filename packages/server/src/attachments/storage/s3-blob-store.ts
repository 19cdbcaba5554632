import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobNotFound, checkKey, type BlobKey, type BlobStore, type ByteRange } from './blob-store.ts';

export interface S3Options {
  /** Endpoint of an S3-compatible service (MinIO, S3Proxy, Ceph…); null for AWS itself. */
  endpoint: string | null;
  region: string;
  bucket: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted stores need. */
  forcePathStyle: boolean;
  /** Static credentials; null uses the SDK's default chain (environment, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** Keys are stored under this prefix, so several deployments can share a bucket. */
  prefix: string;
}

/**
 * Blobs in an S3-compatible bucket (the scaled tier: every instance sees every
 * file). Puts stream through lib-storage's `Upload`, which sends a body of
 * unknown length as a multipart upload in 5 MiB parts (at most
 * `queueSize` parts in memory) and aborts the multipart upload when the
 * stream fails, so a failed put leaves no object.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;

  constructor(private readonly options: S3Options) {
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      // A copy: the SDK marks the credentials object it is given, and configuration is frozen.
      ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      // Checksums on every request are a newer AWS default that many S3-compatible stores reject.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(key: BlobKey): string {
    return this.options.prefix + checkKey(key);
  }

  async put(key: BlobKey, body: Readable): Promise<{ size: number }> {
    let size = 0;
    body.on('data', (chunk: Buffer) => (size += chunk.length));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.key(key), Body: body },
      queueSize: 2,
      partSize: 5 * 1024 * 1024,
      leavePartsOnError: false,
    });
    await upload.done();
    return { size };
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFound(key);
      throw err;
    }
  }

  async stat(key: BlobKey): Promise<{ size: number } | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return { size: out.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
  }

  close(): void {
    this.client.destroy();
  }
}

function isMissing(err: unknown): boolean {
  return (
    err instanceof NoSuchKey ||
    err instanceof NotFound ||
    (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)
  );
}
