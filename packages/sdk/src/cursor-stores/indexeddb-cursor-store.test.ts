import { describe } from 'vitest';
import { cursorStoreContract } from './cursor-store-contract.ts';
import { IndexedDbCursorStore } from './indexeddb-cursor-store.ts';

let n = 0;
// Node has no IndexedDB: this runs when the suite runs in a browser.
describe.skipIf(typeof indexedDB === 'undefined')('IndexedDbCursorStore (skipped: needs a browser, Node has no indexedDB)', () =>
  cursorStoreContract(
    () => new IndexedDbCursorStore(`parley-sdk-cursors-test-${Date.now()}-${n++}`),
    (store) => new IndexedDbCursorStore((store as unknown as { databaseName: string }).databaseName),
  ),
);
