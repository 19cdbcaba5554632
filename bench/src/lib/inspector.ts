import WebSocket from 'ws';

/**
 * Runs a full garbage collection in a server started with
 * `--inspect=127.0.0.1:0`, through the DevTools protocol
 * (`HeapProfiler.collectGarbage`), so that a memory reading counts what is
 * alive rather than how far the collector happens to be behind.
 */
export async function collectGarbage(inspectorUrl: string, timeoutMs = 30_000): Promise<void> {
  const ws = new WebSocket(inspectorUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to HeapProfiler.collectGarbage')), timeoutMs);
      ws.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { id?: number }).id !== 1) return;
        clearTimeout(timer);
        resolve();
      });
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
  } finally {
    ws.close();
  }
}

/**
 * Writes a heap snapshot of a server started with `--inspect=127.0.0.1:0` to
 * `path` (`HeapProfiler.takeHeapSnapshot`, streamed in chunks), for Chrome
 * DevTools' Memory tab: what each idle connection holds, by constructor.
 */
export async function writeHeapSnapshot(inspectorUrl: string, path: string, timeoutMs = 300_000): Promise<void> {
  const { createWriteStream } = await import('node:fs');
  const out = createWriteStream(path);
  const ws = new WebSocket(inspectorUrl, { maxPayload: 1 << 30 });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no heap snapshot in time')), timeoutMs);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { chunk: string } };
        if (m.method === 'HeapProfiler.addHeapSnapshotChunk') out.write(m.params!.chunk);
        else if (m.id === 1) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.takeHeapSnapshot', params: { reportProgress: false } }));
    });
  } finally {
    ws.close();
    await new Promise((resolve) => out.end(resolve));
  }
}
