import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { S3BlobStore, type S3Options } from '../../src/attachments/storage/s3-blob-store.ts';

/** An S3-compatible server for tests (CI starts S3Proxy with `bash scripts/s3proxy.sh start`). */
export const TEST_S3_ENDPOINT = process.env.TEST_S3_ENDPOINT ?? '';

/** The DEVELOPMENT-ONLY key pair scripts/s3proxy.sh configures (override with TEST_S3_ACCESS_KEY / TEST_S3_SECRET_KEY). */
export const TEST_S3_CREDENTIALS = {
  accessKeyId: process.env.TEST_S3_ACCESS_KEY ?? 'parley-dev',
  secretAccessKey: process.env.TEST_S3_SECRET_KEY ?? 'parley-dev-secret',
};

export const TEST_S3_BUCKET = process.env.TEST_S3_BUCKET ?? 'parley-test';

/** S3 options for a store with its own key prefix in the test bucket (created when missing). */
export async function testS3Options(): Promise<S3Options> {
  const options: S3Options = {
    endpoint: TEST_S3_ENDPOINT,
    region: 'us-east-1',
    bucket: TEST_S3_BUCKET,
    forcePathStyle: true,
    credentials: TEST_S3_CREDENTIALS,
    prefix: `t-${crypto.randomUUID().slice(0, 8)}/`,
  };
  const probe = new S3BlobStore(options);
  try {
    await probe.client.send(new CreateBucketCommand({ Bucket: options.bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  } finally {
    probe.close();
  }
  return options;
}

export async function testS3Store(): Promise<S3BlobStore> {
  return new S3BlobStore(await testS3Options());
}
