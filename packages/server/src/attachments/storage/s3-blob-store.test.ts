import { afterAll, describe } from 'vitest';
import { blobStoreContract } from './blob-store-contract.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import { TEST_S3_ENDPOINT, testS3Store } from '../../../test/support/s3.ts';

const suite = () => {
  const stores: S3BlobStore[] = [];
  afterAll(() => stores.forEach((s) => s.close()));
  blobStoreContract(async () => {
    const store = await testS3Store();
    stores.push(store);
    return store;
  });
};

if (TEST_S3_ENDPOINT) describe('S3BlobStore (S3Proxy)', suite);
else describe.skip('S3BlobStore (skipped: needs an S3-compatible server: set TEST_S3_ENDPOINT, e.g. http://127.0.0.1:19080 from `bash scripts/s3proxy.sh start`)', suite);
