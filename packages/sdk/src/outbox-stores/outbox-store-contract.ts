import { expect, it } from 'vitest';
import type { OutboxEntry, OutboxStore } from './outbox-store.ts';

export function entry(n: number, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    client_msg_id: `c-${n}`,
    conversation_id: '0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10',
    user_id: 'u-1',
    text: `message ${n}`,
    sent_at: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
    order: n,
    status: 'pending',
    ...over,
  };
}

const byOrder = (entries: OutboxEntry[]) => [...entries].sort((a, b) => a.order - b.order);

/** What every OutboxStore must do; run against each implementation that can run here. */
export function outboxStoreContract(makeStore: () => Promise<OutboxStore> | OutboxStore): void {
  it('starts empty', async () => {
    expect(await (await makeStore()).load()).toEqual([]);
  });

  it('keeps what is put, replaces by client_msg_id, and forgets what is deleted', async () => {
    const store = await makeStore();
    await store.put(entry(1));
    await store.put(entry(2));
    await store.put(entry(3));
    await store.put(entry(2, { status: 'failed', error: { code: 'forbidden', message: 'no' } }));
    await store.delete('c-1');
    await store.delete('never-there');
    expect(byOrder(await store.load())).toEqual([entry(2, { status: 'failed', error: { code: 'forbidden', message: 'no' } }), entry(3)]);
  });

  it('hands out copies: changing a loaded or put entry changes nothing stored', async () => {
    const store = await makeStore();
    const original = entry(1, { error: { code: 'internal', message: 'x' } });
    await store.put(original);
    original.text = 'changed after put';
    original.error!.message = 'changed too';
    const [loaded] = await store.load();
    loaded!.text = 'changed after load';
    expect(await store.load()).toEqual([entry(1, { error: { code: 'internal', message: 'x' } })]);
  });

  it('applies writes issued without waiting, in the order they were issued', async () => {
    const store = await makeStore();
    const writes: Promise<void>[] = [];
    for (let n = 1; n <= 50; n++) writes.push(store.put(entry(n)));
    for (let n = 1; n <= 50; n += 2) writes.push(store.delete(`c-${n}`));
    await Promise.all(writes);
    expect(byOrder(await store.load()).map((e) => e.order)).toEqual(Array.from({ length: 25 }, (_, i) => 2 * (i + 1)));
  });
}
