import { describe } from 'vitest';
import { cursorStoreContract } from './cursor-store-contract.ts';
import { IndexedDbCursorStore } from './indexeddb-cursor-store.ts';
import type { CursorStore } from './cursor-store.ts';

let n = 0;
const names = new WeakMap<CursorStore, string>();
function open(name: string): CursorStore {
  const store = new IndexedDbCursorStore(name);
  names.set(store, name);
  return store;
}
// Node has no IndexedDB: this runs when the suite runs in a browser.
describe.skipIf(typeof indexedDB === 'undefined')('IndexedDbCursorStore (skipped: needs a browser, Node has no indexedDB)', () =>
  cursorStoreContract(
    () => open(`parley-sdk-cursors-test-${Date.now()}-${n++}`),
    (store) => open(names.get(store)!),
  ),
);
