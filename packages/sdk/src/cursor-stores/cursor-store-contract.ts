import { expect, it } from 'vitest';
import type { CursorStore } from './cursor-store.ts';

const A = '0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10';
const B = '1c7a9b5f-7a66-4e4d-8b54-3e7a4a2d0b21';

/**
 * What every CursorStore must do; run against each implementation that can run here.
 * `reopen` gives a second store over the same place (a restart), when the implementation is durable.
 */
export function cursorStoreContract(makeStore: () => CursorStore, reopen?: (store: CursorStore) => CursorStore): void {
  it('starts empty', async () => {
    expect(await makeStore().load()).toEqual({});
  });

  it('keeps the last seq saved per conversation, and forgets what is deleted', async () => {
    const store = makeStore();
    await store.save(A, 3);
    await store.save(B, 9);
    await store.save(A, 7);
    await store.delete(B);
    await store.delete('never-there');
    expect(await store.load()).toEqual({ [A]: 7 });
  });

  it('applies saves issued without waiting, in the order they were issued', async () => {
    const store = makeStore();
    const writes: Promise<void>[] = [];
    for (let seq = 1; seq <= 60; seq++) writes.push(store.save(seq % 2 ? A : B, seq));
    writes.push(store.delete(B));
    await Promise.all(writes);
    expect(await store.load()).toEqual({ [A]: 59 });
  });

  it('hands out copies: changing a loaded record changes nothing stored', async () => {
    const store = makeStore();
    await store.save(A, 2);
    const loaded = await store.load();
    loaded[A] = 100;
    expect(await store.load()).toEqual({ [A]: 2 });
  });

  if (reopen) {
    it('survives a restart: a new store over the same place loads what was saved', async () => {
      const store = makeStore();
      await store.save(A, 41);
      await store.save(B, 5);
      await store.delete(B);
      expect(await reopen(store).load()).toEqual({ [A]: 41 });
    });
  }
}
