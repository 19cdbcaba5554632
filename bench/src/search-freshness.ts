/**
 * Search freshness: how long after its ack a message is in the search index
 * (message_search, written by the search indexer behind the outbox relay
 * once the send committed). Starts Parley in this process, sends text
 * messages over REST at a steady rate across a few conversations (open loop),
 * and polls the index table for the acked messages; "searchable" is the
 * moment the poll first sees the message's index row (a search with the
 * index strategy finds it from then on; the scan strategy, used for scopes up
 * to SEARCH_SCAN_LIMIT entries, finds it from its ack). At the end one search
 * over HTTP checks that every message is found.
 *
 *   npm run bench:search-freshness -- [--db postgres|pglite] [--rate 200] [--seconds 20]
 *                                     [--conversations 20] [--poll-ms 5] [--pg-url URL]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchResponse } from '@parley/protocol';
import { loadConfig } from '../../packages/server/src/config.ts';
import { createLogger } from '../../packages/server/src/logger.ts';
import { createParley } from '../../packages/server/src/parley.ts';
import { openPglite } from '../../packages/server/src/store/pglite-database.ts';
import { openPostgres } from '../../packages/server/src/store/postgres-database.ts';
import { migrate } from '../../packages/server/src/store/migrate.ts';
import type { Database } from '../../packages/server/src/store/database.ts';
import { createScratchDatabase, type ScratchDatabase } from './lib/scratch-database.ts';
import { summarize, round } from './lib/stats.ts';
import { printTable, writeResult, machineInfo, codeVersion } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    conversations: { type: 'string', default: '20' },
    'poll-ms': { type: 'string', default: '5' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const kind = values.db;
if (kind !== 'postgres' && kind !== 'pglite') throw new Error('--db must be postgres or pglite');
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CONVERSATIONS = Number(values.conversations);
const POLL_MS = Number(values['poll-ms']);
const log = (line: string) => console.error(`[bench:search-freshness ${kind}] ${line}`);

let scratch: ScratchDatabase | undefined;
let dataDir: string | undefined;
let db: Database;
if (kind === 'postgres') {
  scratch = await createScratchDatabase(values['pg-url']);
  db = openPostgres(scratch.url, 10);
} else {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-freshness-'));
  db = await openPglite(dataDir);
}

async function call<T>(base: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

try {
  await migrate(db);
  const limits = Object.fromEntries(['REST', 'PUBLIC', 'SEARCH', 'MESSAGES'].map((n) => [`RATE_LIMIT_${n}`, '1000000:1000000']));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...limits });
  const parley = await createParley(config, { db, log: createLogger('warn') });
  const base = await parley.listen();
  try {
    const users: Array<{ id: string; token: string }> = [];
    for (let i = 0; i <= CONVERSATIONS; i++) {
      const res = await call<{ user: { id: string }; access_token: string }>(base, 'POST', '/api/v1/auth/register', null, {
        username: `fresh${Date.now().toString(36)}${i}`,
        password: 'correct horse battery',
      });
      if (res.status !== 201) throw new Error(`register failed: ${res.status}`);
      users.push({ id: res.body.user.id, token: res.body.access_token });
    }
    const sender = users[0]!;
    const conversations: string[] = [];
    for (const other of users.slice(1)) {
      const res = await call<{ id: string }>(base, 'POST', '/api/v1/conversations', sender.token, { type: 'direct', member_ids: [other.id] });
      conversations.push(res.body.id);
    }
    const word = `fresh${Date.now().toString(36)}`;
    const ackAt = new Map<string, number>();
    const lags: number[] = [];
    const acks: number[] = [];
    let failed = 0;
    let sending = true;

    // The poller: every POLL_MS, which acked messages have their index row now.
    const poller = (async () => {
      while (sending || ackAt.size > 0) {
        const pending = [...ackAt.keys()];
        if (pending.length > 0) {
          const rows = await db.query<{ message_id: string }>('SELECT message_id FROM message_search WHERE message_id = ANY($1::uuid[])', [pending]);
          const now = performance.now();
          for (const { message_id } of rows) {
            lags.push(now - ackAt.get(message_id)!);
            ackAt.delete(message_id);
          }
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    const total = Math.round(RATE * SECONDS);
    const load0 = loadavg()[0]!;
    log(`sending ${total} messages at ${RATE}/s over ${CONVERSATIONS} conversations, polling the index every ${POLL_MS} ms (load ${load0.toFixed(2)})`);
    const start = performance.now();
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const sentAt = performance.now();
      inFlight.push(
        call<{ message_id: string }>(base, 'POST', `/api/v1/conversations/${conversations[i % CONVERSATIONS]}/messages`, sender.token, {
          type: 'text',
          text: `${word} number ${i} of the steady stream`,
          client_msg_id: crypto.randomUUID(),
        }).then(
          (res) => {
            if (res.status !== 201) return void failed++;
            const now = performance.now();
            acks.push(now - sentAt);
            ackAt.set(res.body.message_id, now);
          },
          () => void failed++,
        ),
      );
    }
    await Promise.all(inFlight);
    const elapsed = (performance.now() - start) / 1000;
    sending = false;
    await poller;
    const load1 = loadavg()[0]!;
    const found = await call<SearchResponse>(base, 'GET', `/api/v1/search?${new URLSearchParams({ q: word, conversation_id: conversations[0]!, limit: '50' })}`, sender.token);
    const lag = summarize(lags);
    const ack = summarize(acks);
    printTable(`bench:search-freshness on ${kind}`, [
      ['messages acked / failed', `${acks.length} / ${failed}`],
      ['offered rate (msg/s) / achieved', `${RATE} / ${round(acks.length / elapsed)}`],
      ['load average at start / end', `${load0.toFixed(2)} / ${load1.toFixed(2)}`],
      ['send → ack ms p50 / p99', `${round(ack.p50)} / ${round(ack.p99)}`],
      [`ack → in the index ms p50 / p99 / max (poll every ${POLL_MS} ms)`, `${round(lag.p50)} / ${round(lag.p99)} / ${round(lag.max)}`],
      ['search over HTTP finds the first conversation\'s messages', `${found.body.results.length}${found.body.next_cursor ? '+' : ''}`],
    ]);
    const path = await writeResult('search-freshness', kind, {
      machine: machineInfo(),
      code: codeVersion(),
      options: { rate: RATE, seconds: SECONDS, conversations: CONVERSATIONS, poll_ms: POLL_MS },
      load: [load0, load1],
      failed,
      ack_ms: ack,
      ack_to_indexed_ms: lag,
    });
    log(`result written to ${path}`);
  } finally {
    await parley.close();
  }
} finally {
  await db.close();
  if (scratch) await scratch.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
