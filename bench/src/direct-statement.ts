/**
 * PostgreSQL's cost per message of the send path's write batch (#17): no
 * server, no sockets, no load generator sharing the core. The MessageWriter
 * of this checkout (and of `--base DIR`, another checkout, in the same run)
 * writes `--messages` sends to 500 direct conversations (holding `--history`
 * messages already, analysed) through a pool of one
 * connection, in batches of exactly B (the queue is kept full; maxBatch = B),
 * and the benchmark reads that one backend's CPU time from /proc before and
 * after: PostgreSQL CPU µs per message, the figure that caps `bench:direct
 * --pin`, where PostgreSQL shares core 1 with the load. It also prints WAL
 * bytes and buffers per message of one batch, from EXPLAIN (ANALYZE, WAL,
 * BUFFERS) run on a copy of that batch in a rolled-back transaction.
 *
 *   npm run bench:direct-statement -- [--batches 1,8,64] [--messages 4000] [--rounds 3] [--history 200000]
 *   npm run bench:direct-statement -- --rates 1000,2000 [--seconds 5] [--queues 2x3,2x1,1x1]   (open loop, below)
 *                                     [--base DIR] [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Needs PostgreSQL on this machine (its backends' /proc). The event
 * consumers and the outbox relay do not run: their cost is not in these figures.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createScratchDatabase } from './lib/scratch-database.ts';
import { processCpuMs } from './lib/cpu.ts';
import { codeVersion, machineInfo, writeResult } from './lib/report.ts';
import { REPO_ROOT } from './lib/paths.ts';
import type { Database, QueryOptions, SqlParam } from '../../packages/server/src/store/database.ts';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,8,64' },
    messages: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '3' },
    conversations: { type: 'string', default: '500' },
    /** Messages already stored (spread over the conversations, then ANALYZE) before the writes: a server with history. */
    history: { type: 'string', default: '200000' },
    base: { type: 'string' },
    /** Open loop instead of fixed batches: offered sends/s (e.g. 1000,2000), for --seconds each. */
    rates: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    /** Open loop: write-queue shapes to compare, lanes x batches per lane (the server runs 2x3). */
    queues: { type: 'string', default: '2x3,2x1,1x1' },
    /** Keep the scratch databases (to read plans with EXPLAIN); their names are printed. */
    keep: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const BATCHES = values.batches.split(',').map(Number);
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const CONVERSATIONS = Number(values.conversations);
const HISTORY = Number(values.history);
const RATES = values.rates ? values.rates.split(',').map(Number) : null;
const SECONDS = Number(values.seconds);
const QUEUES = values.queues.split(',').map((q) => q.split('x').map(Number) as [number, number]);

type WriterClass = new (
  db: Database,
  options: { maxBatch: number; lanes: number; batchesPerLane?: number; largeRoomThreshold: number; outbox: boolean },
) => { write(conversationId: string, senderId: string, content: { type: 'text'; text: string; client_msg_id: string }): Promise<unknown> };

interface Checkout {
  system: 'base' | 'parley';
  MessageWriter: WriterClass;
  openPostgres: (url: string, poolSize: number) => Database;
  migrate: (db: Database) => Promise<unknown>;
}

async function load(system: Checkout['system'], root: string): Promise<Checkout> {
  const src = (p: string) => import(pathToFileURL(resolve(root, 'packages/server/src', p)).href);
  return {
    system,
    MessageWriter: (await src('messaging/message-writer.ts')).MessageWriter,
    openPostgres: (await src('store/postgres-database.ts')).openPostgres,
    migrate: (await src('store/migrate.ts')).migrate,
  };
}

/** The database, remembering the last named (prepared) statement and its parameters: the write batch. */
function recording(db: Database): Database & { last: { text: string; params: SqlParam[] } | null } {
  const wrapped = Object.create(db) as Database & { last: { text: string; params: SqlParam[] } | null };
  wrapped.last = null;
  wrapped.query = (text: string, params?: readonly SqlParam[], options?: QueryOptions) => {
    if (options?.name) wrapped.last = { text, params: [...(params ?? [])] };
    return db.query(text, params, options);
  };
  return wrapped;
}

type Row = Record<string, string | number>;

/** Migrates and seeds the scratch database; answers the conversations and their first members. */
async function seed(checkout: Checkout, raw: Database): Promise<Array<{ conversation_id: string; user_id: string }>> {
  await checkout.migrate(raw);
  // 500 direct conversations of two users each (written straight into the tables).
  await raw.query(
    `WITH u AS (
       INSERT INTO users (id, username, display_name, password_hash)
       SELECT gen_random_uuid(), 'b' || g, 'x', 'x' FROM generate_series(1, $1::int * 2) g RETURNING id, username
     ), numbered AS (SELECT id, substr(username, 2)::int - 1 AS n FROM u),
     c AS (
       INSERT INTO conversations (id, type, created_by, member_count, direct_key)
       SELECT gen_random_uuid(), 'direct', a.id, 2, a.id || ':' || b.id
         FROM numbered a JOIN numbered b ON b.n = a.n + 1 WHERE a.n % 2 = 0 RETURNING id, created_by
     )
     INSERT INTO conversation_members (conversation_id, user_id)
     SELECT c.id, c.created_by FROM c UNION ALL SELECT c.id, b.id FROM c JOIN numbered a ON a.id = c.created_by JOIN numbered b ON b.n = a.n + 1`,
    [CONVERSATIONS],
  );
  // History: HISTORY messages over the conversations (seqs 1…n each, counters moved), then statistics,
  // so PostgreSQL plans the batch for tables of a server in use, not for empty ones.
  await raw.query(
    `WITH c AS (SELECT id, created_by, row_number() OVER (ORDER BY id) - 1 AS n FROM conversations),
     g AS (SELECT c.id, c.created_by, s FROM c, generate_series(1, ceil($1::float8 / $2)::int) s)
     INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content)
     SELECT gen_random_uuid(), id, s, created_by, 'message', 'h' || s, jsonb_build_object('type', 'text', 'text', 'history ' || s, 'client_msg_id', 'h' || s, 'attachments', '[]'::jsonb)
       FROM g`,
    [HISTORY, CONVERSATIONS],
  );
  await raw.query(`UPDATE conversations c SET last_seq = m.n FROM (SELECT conversation_id, max(seq) AS n FROM messages GROUP BY 1) m WHERE m.conversation_id = c.id`);
  await raw.query('ANALYZE');
  return raw.query<{ conversation_id: string; user_id: string }>(
    `SELECT conversation_id, min(user_id::text) AS user_id FROM conversation_members GROUP BY conversation_id ORDER BY conversation_id`,
  );
}

async function measure(checkout: Checkout, url: string): Promise<Row[]> {
  const raw = checkout.openPostgres(url, 1);
  const db = recording(raw);
  const lanes = await seed(checkout, raw);
  const pid = (await raw.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
  console.error(`${checkout.system}: PostgreSQL backend pid ${pid}`);
  let serial = 0;
  const send = (writer: InstanceType<WriterClass>, i: number) => {
    const lane = lanes[i % lanes.length]!;
    const id = `m${serial++}`;
    return writer.write(lane.conversation_id, lane.user_id, { type: 'text', text: `bench ${id}`, client_msg_id: id });
  };
  const rows: Row[] = [];
  for (const batch of BATCHES) {
    const writer = new checkout.MessageWriter(db, { maxBatch: batch, lanes: 1, batchesPerLane: 1, largeRoomThreshold: 100, outbox: true });
    // Warm-up: the statement prepared, and PostgreSQL past its first custom plans.
    await Promise.all(Array.from({ length: batch * 12 }, (_, i) => send(writer, i)));
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = processCpuMs(pid)!;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: MESSAGES }, (_, i) => send(writer, i)));
      wall.push(((performance.now() - t0) * 1000) / MESSAGES);
      cpu.push(((processCpuMs(pid)! - c0) * 1000) / MESSAGES);
    }
    // How often PostgreSQL used its cached generic plan instead of planning the batch again (this connection).
    const [plans] = await raw.query<{ generic: number; custom: number }>(
      `SELECT sum(generic_plans)::int AS generic, sum(custom_plans)::int AS custom FROM pg_prepared_statements WHERE name LIKE 'parley_write_batch_%'`,
    );
    const plan = await explainLast(raw, db.last!);
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push({
      system: checkout.system,
      batch,
      'pg µs/msg (median)': Math.round(median(cpu)),
      'pg µs/msg (rounds)': cpu.map((x) => Math.round(x)).join(' / '),
      'wall µs/msg': Math.round(median(wall)),
      'generic plans': `${plans!.generic} of ${plans!.generic + plans!.custom}`,
      'WAL B/msg': Math.round(plan.walBytes / batch),
      'WAL records/msg': Math.round((plan.walRecords / batch) * 10) / 10,
      'buffers hit/msg': Math.round((plan.hit / batch) * 10) / 10,
      // EXPLAIN's own timing inflates these; read them as shares, not as the µs above.
      'explain: plan / exec / triggers ms': `${plan.planningMs.toFixed(2)} / ${plan.executionMs.toFixed(2)} / ${plan.triggerMs.toFixed(2)}`,
    });
  }
  await raw.close();
  return rows;
}

/**
 * Open loop: `rate` sends/s for SECONDS through a writer shaped like the
 * server's (maxBatch 512; `lanes` × `perLane` batches at once, one pool
 * connection each), after one second of warm-up. PostgreSQL CPU of every
 * backend of the pool, sends per statement, and each write's latency from its
 * scheduled time to its commit.
 */
async function measureOpenLoop(checkout: Checkout, url: string): Promise<Row[]> {
  const setup = checkout.openPostgres(url, 1);
  const lanes = await seed(checkout, setup);
  await setup.close();
  const rows: Row[] = [];
  let serial = 0;
  for (const [laneCount, perLane] of QUEUES) {
    const raw = checkout.openPostgres(url, laneCount * perLane);
    let statements = 0;
    const db = Object.create(raw) as Database;
    db.query = (text: string, params?: readonly SqlParam[], options?: QueryOptions) => {
      if (options?.name) statements++;
      return raw.query(text, params, options);
    };
    // Every connection of the pool open at once, to know their backends.
    const pids = (await Promise.all(Array.from({ length: laneCount * perLane }, () => raw.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')))).map((r) => r[0]!.pid);
    const writer = new checkout.MessageWriter(db, { maxBatch: 512, lanes: laneCount, batchesPerLane: perLane, largeRoomThreshold: 100, outbox: true });
    const offer = async (rate: number, seconds: number) => {
      const total = Math.round(rate * seconds);
      const latencies: number[] = [];
      const start = performance.now() + 10;
      const pending: Array<Promise<unknown>> = [];
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const lane = lanes[i % lanes.length]!;
        const id = `o${serial++}`;
        pending.push(writer.write(lane.conversation_id, lane.user_id, { type: 'text', text: `bench ${id}`, client_msg_id: id }).then(() => latencies.push(performance.now() - due)));
      }
      await Promise.all(pending);
      return latencies.sort((a, b) => a - b);
    };
    for (const rate of RATES!) {
      await offer(rate, 1);
      const c0 = pids.reduce((n, p) => n + (processCpuMs(p) ?? 0), 0);
      const s0 = statements;
      const lat = await offer(rate, SECONDS);
      const cpuMs = pids.reduce((n, p) => n + (processCpuMs(p) ?? 0), 0) - c0;
      const q = (x: number) => lat[Math.min(lat.length - 1, Math.floor((lat.length * x) / 100))]!.toFixed(1);
      rows.push({
        system: checkout.system,
        queue: `${laneCount}x${perLane}`,
        'sends/s': rate,
        'pg µs/msg': Math.round((cpuMs * 1000) / lat.length),
        'sends per statement': Math.round((lat.length / (statements - s0)) * 10) / 10,
        'commit p50 / p99 ms': `${q(50)} / ${q(99)}`,
        'load 1m': loadavg()[0]!.toFixed(1),
      });
      console.error(`  ${JSON.stringify(rows[rows.length - 1])}`);
    }
    await raw.close();
  }
  return rows;
}

/** EXPLAIN (ANALYZE, WAL, BUFFERS) of a copy of the last batch (new message and client ids), rolled back. */
async function explainLast(db: Database, last: { text: string; params: SqlParam[] }) {
  const params = [...last.params];
  let n: number;
  if (typeof params[0] === 'string') {
    // The sends as one JSON array of rows (this branch's statement).
    const rows = (JSON.parse(params[0]) as Array<{ id: string; client_msg_id: string }>).map((r) => ({ ...r, id: crypto.randomUUID(), client_msg_id: `x${crypto.randomUUID()}` }));
    n = rows.length;
    params[0] = JSON.stringify(rows);
  } else {
    // One array per column: $1 message ids, $4 client_msg_ids (before).
    n = (params[0] as string[]).length;
    params[0] = Array.from({ length: n }, () => crypto.randomUUID());
    params[3] = Array.from({ length: n }, () => `x${crypto.randomUUID()}`);
  }
  return db.transaction(async (tx) => {
    type Explained = { Plan: Record<string, number>; 'Planning Time': number; 'Execution Time': number; Triggers?: Array<{ 'Trigger Name': string; Time: number; Calls: number }> };
    const [row] = await tx.query<{ 'QUERY PLAN': Explained[] }>(`EXPLAIN (ANALYZE, WAL, BUFFERS, FORMAT JSON) ${last.text}`, params);
    const explained = row!['QUERY PLAN'][0]!;
    const plan = explained.Plan;
    await tx.query('ROLLBACK; BEGIN');
    return {
      walBytes: plan['WAL Bytes'] ?? 0,
      walRecords: plan['WAL Records'] ?? 0,
      hit: plan['Shared Hit Blocks'] ?? 0,
      planningMs: explained['Planning Time'],
      executionMs: explained['Execution Time'],
      triggerMs: (explained.Triggers ?? []).reduce((n, t) => n + t.Time, 0),
    };
  });
}

const checkouts: Checkout[] = [];
if (values.base) checkouts.push(await load('base', values.base));
checkouts.push(await load('parley', REPO_ROOT));
const all: Row[] = [];
for (const checkout of checkouts) {
  const scratch = await createScratchDatabase(values['pg-url']);
  try {
    console.error(`${checkout.system}: batches of ${BATCHES.join(', ')}, ${MESSAGES} messages × ${ROUNDS} rounds…`);
    all.push(...(RATES ? await measureOpenLoop(checkout, scratch.url) : await measure(checkout, scratch.url)));
  } finally {
    if (values.keep) console.error(`kept database ${scratch.name}`);
    else await scratch.drop();
  }
}
const columns = Object.keys(all[0]!);
const width = (c: string) => Math.max(c.length, ...all.map((r) => String(r[c]).length));
console.log(columns.map((c) => c.padStart(width(c))).join('  '));
for (const r of all) console.log(columns.map((c) => String(r[c]).padStart(width(c))).join('  '));
const file = await writeResult('direct-statement', 'postgres', {
  parameters: { rates: RATES, seconds: SECONDS, queues: QUEUES, batches: BATCHES, messages: MESSAGES, rounds: ROUNDS, conversations: CONVERSATIONS, history: HISTORY, base: values.base ?? null },
  machine: machineInfo(),
  code: codeVersion(),
  rows: all,
});
console.log(`written to ${file}`);
