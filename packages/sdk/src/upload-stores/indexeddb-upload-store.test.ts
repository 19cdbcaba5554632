import { describe } from 'vitest';
import { IndexedDbUploadStore } from './indexeddb-upload-store.ts';
import { uploadStoreContract } from './upload-store-contract.ts';

let n = 0;
// Node has no IndexedDB: this runs when the suite runs in a browser (the web client's reload test uses it in Chromium).
describe.skipIf(typeof indexedDB === 'undefined')('IndexedDbUploadStore (skipped: needs a browser, Node has no indexedDB)', () =>
  uploadStoreContract(() => new IndexedDbUploadStore(`parley-sdk-uploads-test-${Date.now()}-${n++}`)),
);
