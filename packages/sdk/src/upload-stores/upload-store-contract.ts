import { expect, it } from 'vitest';
import type { StoredUpload, UploadStore } from './upload-store.ts';

const upload = (n: number, over: Partial<StoredUpload> = {}): StoredUpload => ({
  key: `k-${n}`,
  client_msg_id: `c-${n}`,
  conversation_id: '0b6f8a4e-6f55-4d3c-9a43-2d6f3f1c9a10',
  user_id: 'u-1',
  name: `file-${n}.bin`,
  url: null,
  file: new Uint8Array([n, n + 1, n + 2]),
  ...over,
});

/** What every UploadStore must do; run against each implementation that can run here. */
export function uploadStoreContract(makeStore: () => Promise<UploadStore> | UploadStore): void {
  it('keeps what is put with its bytes, replaces by key, and forgets what is deleted', async () => {
    const store = await makeStore();
    expect(await store.load()).toEqual([]);
    await store.put(upload(1));
    await store.put(upload(2));
    await store.put(upload(2, { url: 'http://x/api/v1/uploads/abc' }));
    await store.delete('k-1');
    await store.delete('never-there');
    const [kept, ...rest] = await store.load();
    expect(rest).toEqual([]);
    expect({ ...kept, file: [...(kept!.file as Uint8Array)] }).toEqual({ ...upload(2, { url: 'http://x/api/v1/uploads/abc' }), file: [2, 3, 4] });
  });

  it('keeps a Blob’s bytes', async () => {
    const store = await makeStore();
    await store.put(upload(3, { file: new Blob([new Uint8Array([7, 8, 9])], { type: 'application/octet-stream' }) }));
    const [loaded] = await store.load();
    expect([...new Uint8Array(await (loaded!.file as Blob).arrayBuffer())]).toEqual([7, 8, 9]);
  });
}
