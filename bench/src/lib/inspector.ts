import { createWriteStream } from 'node:fs';
import WebSocket from 'ws';

/**
 * Calls one DevTools protocol method on a server started with
 * `--inspect=127.0.0.1:0`, passing the events it emits meanwhile to `onEvent`,
 * and resolves with its answer.
 */
async function call(inspectorUrl: string, method: string, timeoutMs: number, onEvent: (method: string, params: unknown) => void = () => {}): Promise<void> {
  const ws = new WebSocket(inspectorUrl, { maxPayload: 1 << 30 });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), timeoutMs);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { id?: number; method?: string; params?: unknown };
        if (m.method) onEvent(m.method, m.params);
        else if (m.id === 1) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.send(JSON.stringify({ id: 1, method }));
    });
  } finally {
    ws.close();
  }
}

/**
 * Runs a full garbage collection in the server (`HeapProfiler.collectGarbage`),
 * so that a memory reading counts what is alive rather than how far the
 * collector happens to be behind.
 */
export async function collectGarbage(inspectorUrl: string, timeoutMs = 30_000): Promise<void> {
  await call(inspectorUrl, 'HeapProfiler.collectGarbage', timeoutMs);
}

/**
 * Writes a heap snapshot of the server to `path` (`HeapProfiler.takeHeapSnapshot`,
 * streamed in chunks), for Chrome DevTools' Memory tab: what each idle
 * connection holds, by constructor.
 */
export async function writeHeapSnapshot(inspectorUrl: string, path: string, timeoutMs = 300_000): Promise<void> {
  const out = createWriteStream(path);
  try {
    await call(inspectorUrl, 'HeapProfiler.takeHeapSnapshot', timeoutMs, (method, params) => {
      if (method === 'HeapProfiler.addHeapSnapshotChunk') out.write((params as { chunk: string }).chunk);
    });
  } finally {
    await new Promise((resolve) => out.end(resolve));
  }
}
