/**
 * Attachment upload benchmark (issue #14): tus upload throughput, the time
 * from an upload's last byte to `clean` (type detection + a real clamd
 * INSTREAM scan + storage), and the server's memory while ten 100 MB uploads
 * stream in at once. The server runs in its own process on a scratch
 * PostgreSQL database with the filesystem blob store in a temporary folder;
 * clamd is a private one on its own test signature database (one EICAR
 * signature: the scan reads every byte all the same). Files are random bytes
 * (`application/octet-stream`), generated as they are sent: nothing here holds
 * a 100 MB body either.
 *
 *   npm run bench:uploads -- [--big-mb 100] [--parallel 10] [--runs 3] [--scan clamav|off]
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { randomFillSync } from 'node:crypto';
import { startServer } from './lib/server-process.ts';
import { Api } from './lib/api.ts';
import { printTable, writeResult } from './lib/report.ts';
import { startClamd, type TestClamd } from '../../packages/server/test/support/clamd.ts';

const { values } = parseArgs({
  options: {
    'big-mb': { type: 'string', default: '100' },
    parallel: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    scan: { type: 'string', default: 'clamav' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const MB = 1024 * 1024;
const bigBytes = Number(values['big-mb']) * MB;
const parallel = Number(values.parallel);
const runs = Number(values.runs);

const blobDir = await mkdtemp(join(tmpdir(), 'parley-bench-blobs-'));
const clamd: TestClamd | null = values.scan === 'clamav' ? await startClamd() : null;
const server = await startServer({
  db: 'postgres',
  pgUrl: values['pg-url'],
  env: {
    ATTACHMENT_DIR: blobDir,
    ATTACHMENT_MAX_BYTES: String(bigBytes + MB),
    ATTACHMENT_QUOTA_BYTES: String(1024 * bigBytes),
    RATE_LIMIT_UPLOADS: '1000000:1000000',
    ATTACHMENT_WORKERS: '2',
    ...(clamd ? { ...clamd.env, CLAMD_TIMEOUT: '600' } : { ATTACHMENT_SCAN: 'off' }),
  },
});

const rssMb = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

/** One tus creation-with-upload: the whole file streamed in the POST; resolves when the server answered. */
function upload(token: string, conversationId: string, size: number): Promise<{ id: string; ms: number }> {
  const url = new URL(`${server.baseUrl}/api/v1/uploads`);
  const meta = `conversation_id ${Buffer.from(conversationId).toString('base64')},filename ${Buffer.from('bench.bin').toString('base64')}`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(size),
          'upload-metadata': meta,
          'content-type': 'application/offset+octet-stream',
          'content-length': String(size),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const location = res.headers.location;
          if (res.statusCode !== 201 || !location || Number(res.headers['upload-offset']) !== size) {
            reject(new Error(`upload answered ${res.statusCode} offset ${res.headers['upload-offset']}`));
          } else resolve({ id: location.split('/').pop()!, ms: performance.now() - t0 });
        });
      },
    );
    req.on('error', reject);
    // Random bytes, one 256 KiB buffer refilled per write (so nothing compresses or dedupes).
    const chunk = Buffer.alloc(256 * 1024);
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(chunk.length, left);
        randomFillSync(chunk, 0, n);
        left -= n;
        if (!req.write(Buffer.from(chunk.subarray(0, n)))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function untilClean(token: string, id: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const res = await fetch(`${server.baseUrl}/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { status: string };
    if (body.status === 'clean') return performance.now() - t0;
    if (body.status !== 'pending' && body.status !== 'uploading') throw new Error(`attachment ${id} ended ${body.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const api = new Api(server.baseUrl);
  const alice = await api.register(`bench${Date.now().toString(36)}a`, 'correct horse battery');
  const bob = await api.register(`bench${Date.now().toString(36)}b`, 'correct horse battery');
  const conversationId = await api.createDirect(alice, bob);
  const rssIdle = rssMb();

  const sequential: Record<string, { upload_ms: number[]; to_clean_ms: number[] }> = {};
  for (const [label, size] of [['1 MB', MB], [`${values['big-mb']} MB`, bigBytes]] as const) {
    sequential[label] = { upload_ms: [], to_clean_ms: [] };
    for (let i = 0; i < runs; i++) {
      const { id, ms } = await upload(alice.token, conversationId, size);
      sequential[label].upload_ms.push(ms);
      sequential[label].to_clean_ms.push(await untilClean(alice.token, id));
    }
  }

  // Ten big uploads at once, RSS sampled every 50 ms from the first byte to the last answer.
  let rssPeak = rssMb();
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 50);
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: parallel }, () => upload(alice.token, conversationId, bigBytes)));
  const parallelMs = performance.now() - t0;
  clearInterval(sampler);
  const rssAfterUploads = rssMb();
  const tClean = performance.now();
  await Promise.all(all.map((u) => untilClean(alice.token, u.id)));
  const allCleanMs = performance.now() - tClean;

  const big = sequential[`${values['big-mb']} MB`]!;
  const small = sequential['1 MB']!;
  const result = {
    scan: values.scan,
    runs,
    big_mb: Number(values['big-mb']),
    upload_mb_per_s_single: bigBytes / MB / (median(big.upload_ms) / 1000),
    to_clean_ms_1mb_median: median(small.to_clean_ms),
    to_clean_ms_big_median: median(big.to_clean_ms),
    sequential,
    parallel,
    parallel_upload_s: parallelMs / 1000,
    parallel_mb_per_s: (parallel * bigBytes) / MB / (parallelMs / 1000),
    parallel_all_clean_after_s: allCleanMs / 1000,
    rss_idle_mb: rssIdle,
    rss_peak_during_parallel_mb: rssPeak,
    rss_after_parallel_mb: rssAfterUploads,
    server_log: server.logs(),
  };
  printTable(`Attachment uploads (scan ${values.scan}; ${runs} runs each, median)`, [
    [`upload throughput, one ${values['big-mb']} MB file (MB/s)`, result.upload_mb_per_s_single.toFixed(1)],
    ['upload complete → clean, 1 MB (ms)', result.to_clean_ms_1mb_median.toFixed(0)],
    [`upload complete → clean, ${values['big-mb']} MB (ms)`, result.to_clean_ms_big_median.toFixed(0)],
    [`${parallel} × ${values['big-mb']} MB at once: wall time (s)`, result.parallel_upload_s.toFixed(1)],
    [`${parallel} × ${values['big-mb']} MB at once: aggregate MB/s`, result.parallel_mb_per_s.toFixed(1)],
    [`${parallel} × ${values['big-mb']} MB: all clean after the last upload (s)`, result.parallel_all_clean_after_s.toFixed(1)],
    ['server RSS idle (MB)', rssIdle.toFixed(0)],
    [`server RSS peak during the ${parallel} uploads (MB)`, rssPeak.toFixed(0)],
    ['server log warnings / errors', `${result.server_log.warnings} / ${result.server_log.errors}`],
  ]);
  console.log(`wrote ${await writeResult('uploads', values.scan, result)}`);
} finally {
  await server.stop();
  await clamd?.close();
  await rm(blobDir, { recursive: true, force: true });
}
