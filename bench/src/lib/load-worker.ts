/**
 * A load-generator process (forked by worker-pool.ts, IPC only): opens the
 * sockets it is given — to Parley (`parley.v1` + bearer token) or to the
 * bare-ws ceiling server — from the loopback source addresses it is given, and
 * measures what arrives on them. The coordinator asks it for stats and tells
 * it when to drop its sockets (storm) and close.
 */
import WebSocket from 'ws';
import { mapLimit } from './api.ts';
import { Histogram, nowMs } from './histogram.ts';
import { StormSocket, stormLatency } from './storm-socket.ts';
import type { OpenReply, SocketSpec, WorkerMode, WorkerReply, WorkerRequest, WorkerStats } from './worker-protocol.ts';

const MARK = Buffer.from('bench:');
const SEQ = Buffer.from('"seq":');

const plain: WebSocket[] = [];
const storm: StormSocket[] = [];
const latency = new Histogram();
const closeCodes: Record<string, number> = {};
let mode: WorkerMode = 'idle';
let closing = false;
let deliveries = 0;
let duplicates = 0;
let closedByPeer = 0;
let firstDeliveryAt = 0;
let lastDeliveryAt = 0;

/** Fan-out: each frame carries `bench:<sent-at ms>:` in its text and a `"seq":n`; JSON is not parsed (the client would cost more than the server). */
function onFanoutFrame(data: Buffer, seen: { bits: Uint8Array }): void {
  const at = nowMs();
  const m = data.indexOf(MARK);
  if (m < 0) return;
  const end = data.indexOf(0x3a, m + MARK.length); // ':'
  const sentAt = Number(data.toString('latin1', m + MARK.length, end));
  const s = data.indexOf(SEQ);
  const seq = s < 0 ? 0 : parseInt(data.toString('latin1', s + SEQ.length, s + SEQ.length + 12), 10);
  if (seq >= seen.bits.length) {
    const bigger = new Uint8Array(Math.max(seq + 1, seen.bits.length * 2));
    bigger.set(seen.bits);
    seen.bits = bigger;
  }
  if (seen.bits[seq]) {
    duplicates++;
    return;
  }
  seen.bits[seq] = 1;
  deliveries++;
  if (!firstDeliveryAt) firstDeliveryAt = at;
  lastDeliveryAt = at;
  latency.record(at - sentAt);
}

function openPlain(spec: SocketSpec, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const protocols = spec.token ? ['parley.v1', `bearer.${spec.token}`] : [];
    const ws = new WebSocket(spec.url, protocols, { perMessageDeflate: false, localAddress: spec.localAddress });
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(new Error(why));
    };
    const done = () => {
      ready = true;
      clearTimeout(timer);
      plain.push(ws);
      resolve();
    };
    const timer = setTimeout(() => fail('no ready in time'), timeoutMs);
    ws.on('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
    ws.on('error', (err) => fail(err.message));
    ws.on('close', (code) => {
      if (!ready) return fail(`closed ${code} before ready`);
      if (!closing) {
        closedByPeer++;
        closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      }
    });
    const seen = { bits: new Uint8Array(0) };
    ws.on('message', (data: Buffer) => {
      if (ready) {
        if (mode === 'fanout') onFanoutFrame(data, seen);
      } else if (spec.token && data.includes('"type":"ready"')) done();
    });
    if (!spec.token) ws.on('open', done);
  });
}

async function open(req: Extract<WorkerRequest, { op: 'open' }>): Promise<OpenReply> {
  mode = req.mode;
  const connectMs = new Histogram();
  const errors: string[] = [];
  let failed = 0;
  const t0 = nowMs();
  await mapLimit(req.specs, req.concurrency, async (spec) => {
    const t = nowMs();
    try {
      if (mode === 'storm') {
        const s = new StormSocket(spec as SocketSpec & { conv: string; token: string });
        await s.connect();
        storm.push(s);
      } else {
        await openPlain(spec, req.timeoutMs);
      }
      connectMs.record(nowMs() - t);
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
    }
  });
  return { opened: req.specs.length - failed, failed, errors, elapsedMs: nowMs() - t0, connectMs: connectMs.toJSON() };
}

function stats(): WorkerStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  let stormStats: WorkerStats['storm'] = null;
  if (mode === 'storm') {
    const st = { ready: 0, synced: 0, complete: 0, lastReadyAt: 0, lastSyncedAt: 0, lastCompleteAt: 0, lost: 0, duplicates: 0, syncPages: 0, reconnectRetries: 0, errorFrames: 0, pushesBeforeReady: 0, errorSamples: [] as string[], readyMs: stormLatency.ready.toJSON(), syncMs: stormLatency.sync.toJSON() };
    for (const s of storm) {
      if (s.readyAt) st.ready++;
      if (s.syncedAt) st.synced++;
      if (s.completeAt) st.complete++;
      st.lastReadyAt = Math.max(st.lastReadyAt, s.readyAt);
      st.lastSyncedAt = Math.max(st.lastSyncedAt, s.syncedAt);
      st.lastCompleteAt = Math.max(st.lastCompleteAt, s.completeAt);
      st.lost += s.lost();
      st.duplicates += s.duplicates;
      st.syncPages += s.syncPages;
      st.reconnectRetries += s.retries;
      st.errorFrames += s.errorFrames;
      st.pushesBeforeReady += s.pushesBeforeReady;
      if (s.lastError && st.errorSamples.length < 5 && !st.errorSamples.includes(s.lastError)) st.errorSamples.push(s.lastError);
    }
    closedByPeer = storm.reduce((n, s) => n + s.closedByPeer, 0);
    stormStats = st;
  }
  return {
    pid: process.pid,
    open: mode === 'storm' ? storm.filter((s) => s.open).length : plain.filter((w) => w.readyState === WebSocket.OPEN).length,
    closedByPeer,
    closeCodes,
    deliveries,
    duplicates,
    firstDeliveryAt,
    lastDeliveryAt,
    latency: latency.toJSON(),
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    cpuMs: (cpu.user + cpu.system) / 1000,
    storm: stormStats,
  };
}

async function closeAll(): Promise<void> {
  closing = true;
  for (const s of storm) s.close();
  for (const w of plain) w.close(1000, 'bench done');
  await new Promise((r) => setTimeout(r, 1000));
  for (const w of plain) w.terminate();
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'open':
      return open(req);
    case 'base':
      for (const s of storm) s.setBase(req.base[s.conv] ?? 0);
      return null;
    case 'drop': {
      const at = nowMs();
      for (const s of storm) s.drop(req.jitterMs);
      return at;
    }
    case 'target':
      for (const s of storm) s.setTarget(req.target[s.conv] ?? 0);
      return null;
    case 'stats':
      return stats();
    case 'close':
      await closeAll();
      return null;
  }
}

/** Answers the coordinator, unless it has already gone (then there is nobody to tell). */
function reply(r: WorkerReply): void {
  if (process.connected) process.send!(r, undefined, undefined, () => {});
}

process.on('message', (msg: WorkerRequest & { id: number }) => {
  handle(msg).then(
    (value) => reply({ id: msg.id, ok: true, value }),
    (err: unknown) => reply({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The coordinator going away (crash, SIGKILL) must not leave load behind.
process.on('disconnect', () => process.exit(0));
