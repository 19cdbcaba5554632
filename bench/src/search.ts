/**
 * Message search at scale: seeds ONE MILLION messages (by default) straight
 * into the database with generate_series, builds the search index, then
 * starts Parley in this process on that database and measures
 * `GET /api/v1/search` (HTTP round trip) for a user who is a member of a
 * realistic set of conversations, over a mix of queries.
 *
 *   npm run bench:search -- --db postgres   (scratch database parley_bench_<random>, dropped afterwards)
 *   npm run bench:search -- --db pglite     (temporary data directory, removed afterwards)
 *   options: [--messages 1000000] [--rounds 20] [--pg-url postgres://postgres@127.0.0.1:5432/postgres] [--keep]
 *
 * The data set: 5,000 users; two busy rooms of 300 members with 25,000
 * messages each; the other messages 95 to a conversation (80 % direct, 20 %
 * groups of ~10). Text: 6–14 words drawn with a Zipf-like skew from an English
 * and engineering vocabulary ("the" is in most messages; "reconfigure",
 * "configuration" and "config" together in a few per cent), one message in ten
 * in Japanese, Chinese or Korean, and two rare terms (~50 messages each). The
 * typical searcher is in both busy rooms and 58 other conversations (about
 * 55,000 messages visible out of the million: searches read them all); a
 * heavy one in both rooms and 2,000 others (about 240,000: past
 * SEARCH_SCAN_LIMIT, the bigram index narrows first).
 */
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
import { printTable, writeResult, machineInfo, codeVersion, type Row } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres' },
    messages: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '20' },
    /** Keep the seeded PostgreSQL database (to read plans with EXPLAIN); its name is printed. */
    keep: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const kind = values.db;
if (kind !== 'postgres' && kind !== 'pglite') throw new Error('--db must be postgres or pglite');
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const USERS = 5000;
const BIG_ROOM_MESSAGES = Math.min(25_000, Math.floor(MESSAGES / 8));
const PER_CONVERSATION = 95;
const SMALL_CONVERSATIONS = Math.ceil((MESSAGES - 2 * BIG_ROOM_MESSAGES) / PER_CONVERSATION);
const CONVERSATIONS = 2 + SMALL_CONVERSATIONS;
const SEARCHER_SMALL = 58;
const HEAVY_SMALL = Math.min(2000, SMALL_CONVERSATIONS);
/** The server's default SEARCH_SCAN_LIMIT, which the run keeps. */
const SCAN_LIMIT = 100_000;
const CHUNK = 100_000;

const WORDS = [
  'the', 'to', 'and', 'a', 'is', 'we', 'it', 'for', 'on', 'this', 'that', 'in', 'of', 'you', 'can', 'be', 'will', 'with',
  'just', 'not', 'have', 'are', 'ok', 'thanks', 'yes', 'so', 'do', 'now', 'at', 'if', 'what', 'about', 'team', 'today',
  'tomorrow', 'deploy', 'build', 'server', 'review', 'merge', 'branch', 'test', 'tests', 'bug', 'fix', 'fixed', 'release',
  'meeting', 'notes', 'please', 'check', 'again', 'logs', 'issue', 'ticket', 'customer', 'update', 'looks', 'good', 'done',
  'later', 'lunch', 'call', 'link', 'doc', 'draft', 'ship', 'rollback', 'staging', 'production', 'database', 'index',
  'query', 'latency', 'cache', 'metrics', 'alert', 'dashboard', 'pipeline', 'config', 'reconfigure', 'configuration',
  'migration', 'schema', 'kafka', 'redis', 'postgres', 'nginx', 'kubernetes', 'helm', 'node', 'typescript', 'react',
  'design', 'mockup', 'feedback', 'roadmap', 'quarter', 'budget', 'hiring', 'interview', 'onboarding', 'vacation',
];
const CJK = [
  '明日の会議は10時からです', '会議室を予約しました', '資料を共有します', 'お疲れ様です', 'よろしくお願いします',
  '確認しました', 'デプロイは完了しました', '本日の打ち合わせの議事録です', '会議の資料を確認してください', '設定を変更しました',
  '我们明天开会讨论配置', '请查看文档', '今天的会议取消了', '代码已经合并', '测试通过了',
  '회의는 내일 오전입니다', '확인했습니다', '배포 완료', '회의록 공유드립니다', '감사합니다',
];
const sqlArray = (items: string[]) => `(ARRAY[${items.map((w) => `'${w.replace(/'/g, "''")}'`).join(',')}]::text[])`;

interface Query {
  kind: string;
  q: string;
  filters?: Record<string, string>;
}

const log = (line: string) => console.log(`[bench:search ${kind}] ${line}`);

let scratch: ScratchDatabase | null = null;
let dataDir: string | null = null;
let db: Database;
if (kind === 'postgres') {
  scratch = await createScratchDatabase(values['pg-url']);
  db = openPostgres(scratch.url, 10);
} else {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-search-'));
  db = await openPglite(dataDir);
}

try {
  await migrate(db);
  const seed = await seedMessages(db);
  const sizes = await sizesOf(db);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_REST: '1000000:1000000',
    RATE_LIMIT_PUBLIC: '1000000:1000000',
    RATE_LIMIT_SEARCH: '1000000:1000000',
    // A loaded machine can take longer than the default 15 minutes over both profiles.
    JWT_ACCESS_TTL: '86400',
  });
  const parley = await createParley(config, { db, log: createLogger('warn') });
  const base = await parley.listen();
  try {
    const bigRoom = (await db.query<{ id: string }>(`SELECT md5('c0')::uuid::text AS id`))[0]!.id;
    const aSender = (await db.query<{ id: string }>(`SELECT md5('u1')::uuid::text AS id`))[0]!.id;
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const queries: Query[] = [
      { kind: 'ascii substring', q: 'config' },
      { kind: 'ascii substring', q: 'onfig' },
      { kind: 'ascii substring', q: 'ploy' },
      { kind: 'whole word', q: 'deploy' },
      { kind: 'whole word', q: 'tomorrow' },
      { kind: 'whole word', q: 'review' },
      { kind: 'cjk 2-char', q: '会議' },
      { kind: 'cjk 2-char', q: '資料' },
      { kind: 'cjk 2-char', q: '开会' },
      { kind: 'cjk 2-char', q: '회의' },
      { kind: 'rare', q: 'xylophone' },
      { kind: 'rare', q: '猫舌' },
      { kind: 'common', q: 'the' },
      { kind: 'common', q: 'and' },
      { kind: 'filtered', q: 'deploy', filters: { conversation_id: bigRoom } },
      { kind: 'filtered', q: '会議', filters: { since } },
      { kind: 'filtered', q: 'config', filters: { sender_id: aSender } },
    ];
    const rows: Row[] = [
      [`seeded (${kind})`, undefined],
      ['messages', seed.messages],
      ['conversations', CONVERSATIONS],
      ['insert time (s)', round(seed.insertMs / 1000, 1)],
      ['search index build (s)', round(seed.indexMs / 1000, 1)],
      ['messages table (MiB)', round(sizes.table / 2 ** 20, 1)],
      ['search index, table and GIN (MiB)', round(sizes.index / 2 ** 20, 1)],
    ];
    const profiles: Record<string, unknown> = {};
    // A typical member (reads their conversations: scan) and one in 2,000
    // conversations, past SEARCH_SCAN_LIMIT (the bigram index narrows first).
    for (const [profile, smallConversations] of [['typical', SEARCHER_SMALL], ['heavy', HEAVY_SMALL]] as const) {
      const searcher = await registerSearcher(db, base, smallConversations);
      const run = async (query: Query, cursor?: string) => {
        const params = new URLSearchParams({ q: query.q, ...query.filters, ...(cursor ? { cursor } : {}) });
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/search?${params}`, { headers: { authorization: `Bearer ${searcher.token}` } });
        const body = (await res.json()) as SearchResponse;
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`search ${query.q} answered ${res.status}: ${JSON.stringify(body)}`);
        return { ms, body };
      };
      // One warm-up round (plans, caches), then `ROUNDS` interleaved rounds.
      const firstPage = new Map<Query, SearchResponse>();
      for (const query of queries) firstPage.set(query, (await run(query)).body);
      const samples = new Map<string, number[]>();
      const all: number[] = [];
      const record = (label: string, ms: number) => {
        if (!samples.has(label)) samples.set(label, []);
        samples.get(label)!.push(ms);
        all.push(ms);
      };
      for (let r = 0; r < ROUNDS; r++) {
        for (const query of queries) record(query.kind, (await run(query)).ms);
        const next = firstPage.get(queries[0]!)!.next_cursor;
        if (next) record('next page', (await run(queries[0]!, next)).ms);
      }
      const total = summarize(all);
      rows.push(
        [`${profile} searcher: ${smallConversations + 2} conversations, ${searcher.visible.toLocaleString('en-US')} messages visible (${searcher.visible <= SCAN_LIMIT ? 'scan' : 'index or scan, by bigram statistics'})`, undefined],
        [`latency ms, all p50 / p99 (${all.length} requests)`, `${round(total.p50)} / ${round(total.p99)}`],
      );
      for (const [label, ms] of samples) {
        const s = summarize(ms);
        rows.push([`${label} p50 / p99`, `${round(s.p50)} / ${round(s.p99)}`]);
      }
      rows.push(['first-page results (+: more pages)', [...firstPage].map(([q, body]) => `${q.q}${q.filters ? '*' : ''} ${body.results.length}${body.next_cursor ? '+' : ''}`).join(', ')]);
      // Printed as each profile ends, so a later failure keeps what was measured.
      printTable(`bench:search on ${kind}: ${profile} searcher`, rows.slice(-samples.size - 3));
      profiles[profile] = {
        conversations: smallConversations + 2,
        visible: searcher.visible,
        latency_ms: { all: total, ...Object.fromEntries([...samples].map(([k, v]) => [k, summarize(v)])) },
      };
    }
    printTable(`bench:search on ${kind}`, rows);
    const path = await writeResult('search', kind, {
      machine: machineInfo(),
      code: codeVersion(),
      seed: { ...seed, conversations: CONVERSATIONS, users: USERS },
      sizes,
      profiles,
    });
    log(`result written to ${path}`);
  } finally {
    await parley.close();
  }
} finally {
  await db.close();
  if (scratch && values.keep) log(`kept the database: ${scratch.url}`);
  else if (scratch) await scratch.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

/**
 * Writes users, conversations, members and messages with a few large
 * statements, then the search index table (migration 017) the way the
 * migration's backfill does, its GIN index dropped meanwhile and rebuilt
 * after: what the search indexer would have written for these messages.
 */
async function seedMessages(db: Database) {
  const [indexDef] = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'message_search_bigrams_idx'`);
  if (!indexDef) throw new Error('migration 017 did not create message_search_bigrams_idx');
  const t0 = performance.now();
  await db.query('DROP INDEX message_search_bigrams_idx');
  await db.query(
    `INSERT INTO users (id, username, display_name, password_hash)
     SELECT md5('u' || g)::uuid, 'bench' || g, 'Bench user ' || g, 'x' FROM generate_series(0, $1 - 1) AS g`,
    [USERS],
  );
  await db.query(
    `INSERT INTO conversations (id, type, title, direct_key, created_by)
     SELECT md5('c' || j)::uuid,
            CASE WHEN j < 2 OR j % 5 = 0 THEN 'group' ELSE 'direct' END,
            CASE WHEN j < 2 OR j % 5 = 0 THEN 'room ' || j END,
            CASE WHEN j < 2 OR j % 5 = 0 THEN NULL ELSE 'bench:' || j END,
            md5('u' || (j % $2))::uuid
       FROM generate_series(0, $1 - 1) AS j`,
    [CONVERSATIONS, USERS],
  );
  // Busy rooms: users 0–299. Direct: two users. Groups (every fifth): ten.
  await db.query(
    `INSERT INTO conversation_members (conversation_id, user_id)
     SELECT md5('c' || j)::uuid, md5('u' || k)::uuid FROM generate_series(0, 1) AS j, generate_series(0, 299) AS k
     UNION
     SELECT md5('c' || j)::uuid, md5('u' || ((j * 7 + k * 13) % $2))::uuid
       FROM generate_series(2, $1 - 1) AS j, generate_series(0, 9) AS k
      WHERE k < CASE WHEN j % 5 = 0 THEN 10 ELSE 2 END`,
    [CONVERSATIONS, USERS],
  );
  const words = sqlArray(WORDS);
  const cjk = sqlArray(CJK);
  for (let from = 0; from < MESSAGES; from += CHUNK) {
    const to = Math.min(MESSAGES, from + CHUNK);
    const t = performance.now();
    await db.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content, created_at)
       SELECT md5('m' || g)::uuid, md5('c' || conv)::uuid, seq,
              CASE WHEN conv < 2 THEN md5('u' || (g % 300))::uuid
                   ELSE md5('u' || ((conv * 7 + (g % 2) * 13) % $4))::uuid END,
              'message', g::text,
              jsonb_build_object('type', 'text', 'client_msg_id', g::text, 'text',
                CASE WHEN g % 10 = 3 THEN ${cjk}[1 + (g / 10) % ${CJK.length}] || CASE WHEN g % 19997 = 7 THEN ' 猫舌' ELSE '' END
                     ELSE array_to_string(ARRAY(
                            SELECT ${words}[1 + floor(${WORDS.length} * power(random(), 3))::int]
                              FROM generate_series(1, 6 + (g % 9)) AS w)
                          , ' ') || CASE WHEN g % 20011 = 0 THEN ' xylophone' ELSE '' END
                END),
              now() - ($5 - g) * interval '31 seconds'
         FROM (SELECT g,
                      CASE WHEN g < $3 * 2 THEN g % 2 ELSE 2 + (g - $3 * 2) / ${PER_CONVERSATION} END AS conv,
                      CASE WHEN g < $3 * 2 THEN g / 2 + 1 ELSE (g - $3 * 2) % ${PER_CONVERSATION} + 1 END AS seq
                 FROM generate_series($1::int, $2::int - 1) AS g) AS s`,
      [from, to, BIG_ROOM_MESSAGES, USERS, MESSAGES],
    );
    log(`inserted ${to.toLocaleString('en-US')} messages (${Math.round(performance.now() - t)} ms for this chunk)`);
  }
  await db.query(
    `UPDATE conversations c SET last_seq = s.last_seq, member_count = s.members
       FROM (SELECT m.conversation_id, max(m.seq) AS last_seq,
                    (SELECT count(*) FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id) AS members
               FROM messages m GROUP BY m.conversation_id) s
      WHERE c.id = s.conversation_id`,
  );
  const insertMs = performance.now() - t0;
  const t1 = performance.now();
  await db.query(
    `INSERT INTO message_search (message_id, text)
     SELECT id, content->>'text' FROM messages WHERE kind = 'message' AND content->>'text' IS NOT NULL`,
  );
  await db.query(indexDef.indexdef);
  const indexMs = performance.now() - t1;
  log(`search index built in ${Math.round(indexMs)} ms`);
  await db.query('ANALYZE');
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')) as [{ n: number }];
  return { messages: n, insertMs, indexMs };
}

/** Registers a searcher over REST and makes them a member of both busy rooms and `smallConversations` others, spread over the range. */
async function registerSearcher(db: Database, base: string, smallConversations: number): Promise<{ id: string; token: string; visible: number }> {
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `searcher${Date.now().toString(36)}`, password: 'correct horse battery' }),
  });
  const body = (await res.json()) as { user: { id: string }; access_token: string };
  if (res.status !== 201) throw new Error(`register failed: ${res.status}`);
  const step = Math.max(1, Math.floor((CONVERSATIONS - 2) / smallConversations));
  await db.query(
    `INSERT INTO conversation_members (conversation_id, user_id)
     SELECT md5('c' || j)::uuid, $1::uuid FROM generate_series(0, 1) AS j
     UNION ALL
     SELECT md5('c' || (2 + i * $2))::uuid, $1::uuid FROM generate_series(0, $3 - 1) AS i`,
    [body.user.id, step, smallConversations],
  );
  const [visible] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages m JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1`,
    [body.user.id],
  );
  log(`searcher sees ${visible!.n.toLocaleString('en-US')} messages in ${smallConversations + 2} conversations`);
  return { id: body.user.id, token: body.access_token, visible: visible!.n };
}

async function sizesOf(db: Database) {
  const [row] = await db.query<{ table: string; index: string; total: string }>(
    `SELECT pg_relation_size('messages') AS table, pg_total_relation_size('message_search') AS index,
            pg_total_relation_size('messages') AS total`,
  );
  return { table: Number(row!.table), index: Number(row!.index), total: Number(row!.total) };
}
