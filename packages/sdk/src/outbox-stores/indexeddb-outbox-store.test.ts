import { describe } from 'vitest';
import { IndexedDbOutboxStore } from './indexeddb-outbox-store.ts';
import { outboxStoreContract } from './outbox-store-contract.ts';

let n = 0;
// Node has no IndexedDB: this runs when the suite runs in a browser.
describe.skipIf(typeof indexedDB === 'undefined')('IndexedDbOutboxStore (skipped: needs a browser, Node has no indexedDB)', () =>
  outboxStoreContract(() => new IndexedDbOutboxStore(`parley-sdk-test-${Date.now()}-${n++}`)),
);
