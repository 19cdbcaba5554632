import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse, SearchResult } from '@parley/protocol';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { api, createConversation, register, startServer, textMessage, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import type { Database } from '../src/store/database.ts';
import { SearchService } from '../src/search/search-service.ts';
import { bigramStats } from '../src/search/search-repo.ts';
import { reindexMessages } from '../src/search/search-indexer.ts';

/**
 * Message search (issue #15): substrings and CJK text through the bigram
 * index, membership at the moment of the search, filters, paging, ranking,
 * and queries full of SQL, LIKE and regex metacharacters; the search indexer
 * that fills the index after sends commit (catching up, edits, deletes, two
 * instances). On PGlite and, when TEST_DATABASE_URL is set, on PostgreSQL.
 */

/** Waits until the search indexer has written the index row of every one of these messages. */
async function indexed(db: Database, messageIds: readonly string[]): Promise<void> {
  await eventually(
    async () => {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM message_search WHERE message_id = ANY($1::uuid[])', [[...messageIds]]);
      return row!.n === messageIds.length;
    },
    { timeoutMs: 15_000 },
  );
}
function searchSuite(kind: DatabaseKind): void {
  let database: TestDatabase;
  const servers: Partial<Record<Strategy, TestServer>> = {};
  beforeAll(async () => {
    database = await makeDatabase(kind);
    // Both ways of finding matches, on the same rows: reading the searched
    // conversations (the default for scopes this small) and the bigram index first.
    servers.scan = await startServer(database.db);
    servers.index = await startServer(database.db, { env: { SEARCH_SCAN_LIMIT: '0' } });
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await database?.drop();
  });
  for (const strategy of ['scan', 'index'] as const) describe(`finding matches by ${strategy}`, () => strategySuite(() => database, () => servers[strategy]!));

  it('past SEARCH_SCAN_LIMIT, reads the index statistics and scans for a bigram in most messages, uses the index for a rare one', async () => {
    const service = new SearchService(database.db, { scanLimit: 1 });
    // Before any ANALYZE there are no statistics: the index it is.
    if (!(await bigramStats(database.db))) expect(await service.strategyFor('common', 1000)).toBe('index');
    const [alice, bob] = [await register(servers.scan!.url), await register(servers.scan!.url)];
    const conv = await createConversation(servers.scan!.url, alice, [bob]);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await api(servers.scan!.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: alice.token, body: textMessage(`commonplace ${i}`) });
      ids.push(res.body.message_id as string);
    }
    await indexed(database.db, ids);
    await database.db.query('ANALYZE message_search');
    const stats = await bigramStats(database.db);
    expect(stats).not.toBeNull();
    expect(stats!.rows).toBeGreaterThan(60);
    expect(stats!.frequency.get('mm')).toBeGreaterThan(stats!.floor);
    const fresh = new SearchService(database.db, { scanLimit: 1 });
    expect(await fresh.strategyFor('commonplace', 10)).toBe('scan');
    expect(await fresh.strategyFor('qzjqxv', stats!.rows)).toBe('index');
    expect(await new SearchService(database.db, { scanLimit: 0 }).strategyFor('commonplace', 10)).toBe('index');
  });

  describe('the search indexer', () => indexerSuite(kind, () => database, () => servers.index!));
}

type Strategy = 'scan' | 'index';

/**
 * The index (message_search) is written after the send commits, by the
 * search-index event consumer behind the outbox relay: these tests use the
 * index strategy (SEARCH_SCAN_LIMIT=0), so a search finds only what the
 * indexer has reached, and check every candidate against the current text.
 */
function indexerSuite(kind: DatabaseKind, getDatabase: () => TestDatabase, getServer: () => TestServer): void {
  const send = async (url: string, user: TestUser, conversationId: string, text: string): Promise<{ id: string; seq: number }> => {
    const res = await api(url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: textMessage(text) });
    if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.message_id as string, seq: res.body.seq as number };
  };
  const ids = async (url: string, user: TestUser, q: string): Promise<string[]> => {
    const res = await api<SearchResponse>(url, 'GET', `/api/v1/search?${new URLSearchParams({ q, limit: '50' })}`, { token: user.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.results.map((r) => r.message_id);
  };
  const indexRow = async (db: Database, id: string) =>
    (await db.query<{ text: string }>('SELECT text FROM message_search WHERE message_id = $1', [id]))[0] ?? null;

  it('makes a sent message searchable once the indexer has run, and an edited one by its new text only', async () => {
    const { db } = getDatabase();
    const { url } = getServer();
    const [alice, bob] = await Promise.all([register(url), register(url)]);
    const conv = await createConversation(url, alice, [bob]);
    const tag = Date.now().toString(36);
    const sent = await send(url, alice, conv.id, `ahead${tag} of the release`);
    await eventually(async () => expect(await ids(url, bob, `ahead${tag}`)).toEqual([sent.id]));
    const before = await indexRow(db, sent.id);
    expect(before?.text).toBe(`ahead${tag} of the release`);

    const edit = await api(url, 'POST', `/api/v1/conversations/${conv.id}/messages/${sent.seq}/edits`, {
      token: alice.token,
      body: { text: `behind${tag} the release`, client_msg_id: crypto.randomUUID() },
    });
    expect(edit.status).toBe(201);
    // Whatever the index row holds at this moment, the old text is never found again.
    expect(await ids(url, bob, `ahead${tag}`)).toEqual([]);
    await eventually(async () => expect(await ids(url, bob, `behind${tag}`)).toEqual([sent.id]));
    expect((await indexRow(db, sent.id))?.text).toBe(`behind${tag} the release`);
    // A stale row (the old text, as before the indexer reached the edit) proposes the message; the recheck refuses it.
    await db.query('UPDATE message_search SET text = $2 WHERE message_id = $1', [sent.id, before!.text]);
    expect(await ids(url, bob, `ahead${tag}`)).toEqual([]);
  });

  it('removes the index row in the delete, and never returns a deleted message even when a stale index row names it', async () => {
    const { db } = getDatabase();
    const { url } = getServer();
    const [alice, bob] = await Promise.all([register(url), register(url)]);
    const conv = await createConversation(url, alice, [bob]);
    const word = `erase${Date.now().toString(36)}`;
    const kept = await send(url, alice, conv.id, `${word} stays`);
    const gone = await send(url, alice, conv.id, `${word} goes`);
    await indexed(db, [kept.id, gone.id]);
    const stale = (await indexRow(db, gone.id))!.text;
    expect(await ids(url, bob, word)).toEqual([gone.id, kept.id]);

    const deleted = await api(url, 'DELETE', `/api/v1/conversations/${conv.id}/messages/${gone.seq}`, { token: alice.token });
    expect(deleted.status).toBe(201);
    expect(await indexRow(db, gone.id)).toBeNull();
    expect(await ids(url, bob, word)).toEqual([kept.id]);
    // An index row that survived (written back by a late indexer, say) only proposes a candidate.
    await db.query('INSERT INTO message_search (message_id, text) VALUES ($1, $2)', [gone.id, stale]);
    expect(await ids(url, bob, word)).toEqual([kept.id]);
    expect(await ids(url, bob, 'goes')).toEqual([]);
    // The indexer, handed the delete's event again, removes the row.
    await reindexMessages(db, [gone.id]);
    expect(await indexRow(db, gone.id)).toBeNull();
  });

  it('catches up after downtime, and two instances index each message once', async () => {
    // A database of its own: the suite's servers would index these messages as they come.
    const own = await makeDatabase(kind);
    const servers: TestServer[] = [];
    try {
      // Sends go on while no indexer runs (CONSUMERS_IN_PROCESS=off: the outbox keeps the events).
      const down = await startServer(own.db, { env: { SEARCH_SCAN_LIMIT: '0', CONSUMERS_IN_PROCESS: 'off' } });
      servers.push(down);
      const [alice, bob] = await Promise.all([register(down.url), register(down.url)]);
      const conv = await createConversation(down.url, alice, [bob]);
      const word = `backlog${Date.now().toString(36)}`;
      const backlog: string[] = [];
      for (let i = 0; i < 30; i++) backlog.push((await send(down.url, i % 2 ? bob : alice, conv.id, `${word} ${i}`)).id);
      expect((await own.db.query<{ n: number }>('SELECT count(*)::int AS n FROM message_search'))[0]!.n).toBe(0);
      expect(await ids(down.url, bob, word)).toEqual([]);
      await down.close();
      servers.pop();

      // Two instances with their indexers: the backlog is caught up, then new sends through both are indexed.
      servers.push(await startServer(own.db, { env: { SEARCH_SCAN_LIMIT: '0' } }), await startServer(own.db, { env: { SEARCH_SCAN_LIMIT: '0' } }));
      const all = [...backlog];
      for (let i = 0; i < 20; i++) all.push((await send(servers[i % 2]!.url, i % 2 ? bob : alice, conv.id, `${word} more ${i}`)).id);
      await indexed(own.db, all);
      for (const server of servers) {
        const found = await ids(server.url, alice, word);
        expect(found).toHaveLength(50);
        expect(new Set(found)).toEqual(new Set(all));
      }
      const [rows] = await own.db.query<{ n: number; handled: number }>(
        `SELECT (SELECT count(*)::int FROM message_search) AS n,
                (SELECT count(*)::int FROM consumer_events c JOIN outbox o ON o.event_id = c.event_id
                  WHERE c.consumer = 'in-process-consumers' AND o.type = 'message.created') AS handled`,
      );
      expect(rows).toEqual({ n: 50, handled: 50 });
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await own.drop();
    }
  });
}

function strategySuite(getDatabase: () => TestDatabase, getServer: () => TestServer): void {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(() => {
    database = getDatabase();
    server = getServer();
  });

  /** Sends, then waits for the search indexer to reach the message (the index strategy finds it only then). */
  const send = async (user: TestUser, conversationId: string, text: string): Promise<string> => {
    const res = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: textMessage(text) });
    if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
    await indexed(database.db, [res.body.message_id as string]);
    return res.body.message_id as string;
  };
  const search = (user: TestUser, params: Record<string, string | number>, base = server.url) =>
    api<SearchResponse & { error?: { code: string } }>(base, 'GET', `/api/v1/search?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`, { token: user.token });
  const found = async (user: TestUser, params: Record<string, string | number>): Promise<SearchResult[]> => {
    const res = await search(user, params);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.results;
  };
  const highlighted = (r: SearchResult) => r.snippet.highlights.map((h) => r.snippet.text.slice(h.start, h.end));

  it('finds "config" inside "reconfigure" and "会議" in Japanese text, whole words first, then newest first', async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const conv = await createConversation(server.url, alice, [bob]);
    const reconfigure = await send(alice, conv.id, 'we must reconfigure the proxy');
    const theConfig = await send(bob, conv.id, 'the config is wrong');
    const shouted = await send(alice, conv.id, 'CONFIG: done');
    const reconfigured = await send(bob, conv.id, 'Reconfigured it again');
    await send(alice, conv.id, 'nothing to see here');

    const config = await found(alice, { q: 'config' });
    expect(config.map((r) => [r.message_id, r.match])).toEqual([
      [shouted, 'word'],
      [theConfig, 'word'],
      [reconfigured, 'substring'],
      [reconfigure, 'substring'],
    ]);
    expect(config.map(highlighted)).toEqual([['CONFIG'], ['config'], ['config'], ['config']]);
    expect(config[0]).toMatchObject({ conversation_id: conv.id, seq: 3, sender_id: alice.id, snippet: { text: 'CONFIG: done' } });

    const meeting = await send(alice, conv.id, '明日の会議は10時からです');
    const agenda = await send(bob, conv.id, '会議、資料を準備します');
    const room = await send(alice, conv.id, '会議室の予約をお願いします');
    const chinese = await send(bob, conv.id, '我们明天开会讨论配置');
    const korean = await send(alice, conv.id, '회의는 내일 오전입니다');
    const kaigi = await found(bob, { q: '会議' });
    expect(kaigi.map((r) => [r.message_id, r.match])).toEqual([
      [agenda, 'word'],
      [room, 'substring'],
      [meeting, 'substring'],
    ]);
    expect(kaigi.map(highlighted)).toEqual([['会議'], ['会議'], ['会議']]);
    expect((await found(alice, { q: '开会' })).map((r) => r.message_id)).toEqual([chinese]);
    expect((await found(alice, { q: '회의' })).map((r) => [r.message_id, r.match])).toEqual([[korean, 'substring']]);
    expect((await found(alice, { q: ' 会議室の予約 ' })).map((r) => r.message_id)).toEqual([room]);
  });

  it('never returns a message from a conversation the searcher is not, or no longer, a member of', async () => {
    const [admin, carol, dave] = await Promise.all([register(server.url), register(server.url), register(server.url)]);
    const removedFrom = await createConversation(server.url, admin, [carol, dave], 'group');
    const leftFrom = await createConversation(server.url, admin, [carol, dave], 'group');
    const other = await createConversation(server.url, admin, [dave], 'direct');
    const word = `zebra${Date.now().toString(36)}`;
    await send(admin, removedFrom.id, `the ${word} plan, before`);
    await send(admin, leftFrom.id, `the ${word} route`);
    await send(admin, other.id, `a ${word} only dave and admin see`);

    expect(await found(carol, { q: word })).toHaveLength(2);
    expect(await found(dave, { q: word })).toHaveLength(3);

    const removed = await api(server.url, 'DELETE', `/api/v1/conversations/${removedFrom.id}/members/${carol.id}`, { token: admin.token });
    expect(removed.status).toBe(204);
    const left = await api(server.url, 'DELETE', `/api/v1/conversations/${leftFrom.id}/members/${carol.id}`, { token: carol.token });
    expect(left.status).toBe(204);
    await send(admin, removedFrom.id, `the ${word} plan, after`);

    expect(await found(carol, { q: word })).toEqual([]);
    expect(await found(dave, { q: word })).toHaveLength(4);
    const named = await search(carol, { q: word, conversation_id: removedFrom.id });
    expect(named).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });
    const stranger = await search(carol, { q: word, conversation_id: other.id });
    expect(stranger).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });
  });

  it('filters by conversation, sender and date range, and pages with an opaque cursor without repeats or gaps', async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const a = await createConversation(server.url, alice, [bob]);
    const b = await createConversation(server.url, alice, [bob, await register(server.url)], 'group');
    const word = `pagetoken${Date.now().toString(36)}`;
    const inA: string[] = [];
    for (let i = 0; i < 25; i++) inA.push(await send(i % 2 === 0 ? alice : bob, a.id, `${word} number ${i}`));
    const inB = [await send(bob, b.id, `${word} in the group`), await send(alice, b.id, `${word} again in the group`)];

    const whole = await found(alice, { q: word, limit: 50 });
    expect(whole).toHaveLength(27);
    const pages: SearchResult[][] = [];
    let cursor: string | null = null;
    do {
      const res = await search(alice, { q: word, limit: 7, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages.push(res.body.results);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 6]);
    expect(pages.flat().map((r) => r.message_id)).toEqual(whole.map((r) => r.message_id));

    expect(new Set((await found(alice, { q: word, conversation_id: b.id })).map((r) => r.message_id))).toEqual(new Set(inB));
    const byBob = await found(alice, { q: word, sender_id: bob.id, limit: 50 });
    expect(byBob).toHaveLength(13);
    expect(byBob.every((r) => r.sender_id === bob.id)).toBe(true);
    expect(await found(alice, { q: word, conversation_id: a.id, sender_id: bob.id, limit: 50 })).toHaveLength(12);

    await database.db.query(
      `UPDATE messages SET created_at = v.at::timestamptz FROM (VALUES ($1::uuid, '2020-01-15T00:00:00Z'), ($2::uuid, '2020-06-15T00:00:00Z'), ($3::uuid, '2021-01-15T00:00:00Z')) AS v(id, at) WHERE messages.id = v.id`,
      [inA[0]!, inA[1]!, inA[2]!],
    );
    const in2020 = await found(alice, { q: word, since: '2020-03-01T00:00:00Z', until: '2021-01-01T00:00:00Z' });
    expect(in2020.map((r) => r.message_id)).toEqual([inA[1]]);
    expect(in2020[0]!.created_at).toBe('2020-06-15T00:00:00.000Z');
    expect((await found(alice, { q: word, until: '2020-06-15T00:00:00Z' })).map((r) => r.message_id)).toEqual([inA[0]]);
    expect((await found(alice, { q: word, since: '2020-06-15T00:00:00Z', until: '2021-06-01T00:00:00Z' })).map((r) => r.message_id)).toEqual([inA[2], inA[1]]);
  });

  it('treats SQL, LIKE and regex metacharacters as plain text and refuses empty, short and oversized queries with stable codes', async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const conv = await createConversation(server.url, alice, [bob]);
    const tag = Date.now().toString(36);
    const texts = {
      percent: `${tag} 100% sure`,
      underscore: `${tag} snake_case name`,
      lookalike: `${tag} snakeXcase name`,
      backslash: `${tag} C:\\temp\\new`,
      quote: `${tag} it's Bob's`,
      regex: `${tag} match a.*b literally`,
      plain: `${tag} a to b`,
      brackets: `${tag} [a-z]+ (x)`,
      injection: `${tag} '; DROP TABLE messages; --`,
    };
    const ids = Object.fromEntries(await Promise.all(Object.entries(texts).map(async ([k, t]) => [k, await send(alice, conv.id, t)] as const)));
    const hits = async (q: string) => (await found(bob, { q })).map((r) => r.message_id).sort();
    expect(await hits('0%')).toEqual([ids.percent]);
    expect(await hits('%%')).toEqual([]);
    expect(await hits('e_c')).toEqual([ids.underscore]);
    expect(await hits('__')).toEqual([]);
    expect(await hits('\\temp')).toEqual([ids.backslash]);
    expect(await hits('\\\\')).toEqual([]);
    expect(await hits("it's")).toEqual([ids.quote]);
    expect(await hits("'; DROP TABLE messages; --")).toEqual([ids.injection]);
    expect(await hits('a.*b')).toEqual([ids.regex]);
    expect(await hits('.*')).toEqual([ids.regex]);
    expect(await hits('[a-z]+')).toEqual([ids.brackets]);
    expect(await hits('(x)')).toEqual([ids.brackets]);
    expect(await hits('^a|b$')).toEqual([]);
    // Whole words next to punctuation rank as words, however the query is spelt.
    const cpp = await send(alice, conv.id, `${tag} I like C++, really`);
    const cppInside = await send(alice, conv.id, `${tag} xc++y`);
    expect((await found(bob, { q: 'c++' })).map((r) => [r.message_id, r.match])).toEqual([[cpp, 'word'], [cppInside, 'substring']]);
    expect((await found(bob, { q: '(x)' })).map((r) => r.match)).toEqual(['word']);
    expect((await found(bob, { q: '100%' })).map((r) => r.match)).toEqual(['word']);
    expect((await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conv.id]))[0]!.n).toBe(11);

    const refused = async (params: Record<string, string | number>, code = 'validation_failed') => {
      const res = await search(bob, params);
      expect(res, JSON.stringify(params)).toMatchObject({ status: 400, body: { error: { code } } });
    };
    await refused({});
    await refused({ q: '' });
    await refused({ q: '    ' });
    await refused({ q: 'a' });
    await refused({ q: ' 会 ' });
    await refused({ q: 'x'.repeat(257) });
    await refused({ q: 'ab\u0000' }, 'invalid_text');
    await refused({ q: 'config', limit: 0 });
    await refused({ q: 'config', limit: 51 });
    await refused({ q: 'config', conversation_id: 'nope' });
    await refused({ q: 'config', sender_id: "1' OR '1'='1" });
    await refused({ q: 'config', since: 'yesterday' });
    await refused({ q: 'config', cursor: 'not a cursor!' });
    await refused({ q: 'config', cursor: Buffer.from('[0,"2020-01-01","x"]').toString('base64url') });
    await refused({ q: 'config', cursor: Buffer.from('{"bucket":0}').toString('base64url') });
    expect((await search(bob, { q: 'x'.repeat(256) })).status).toBe(200);
    expect((await api(server.url, 'GET', '/api/v1/search?q=config')).status).toBe(401);
    // The query string never reaches a log line.
    expect(server.logs.some((line) => line.includes(tag) || line.includes('DROP TABLE'))).toBe(false);
  });

  it('ignores messages whose text is gone (a deleted message is redacted to NULL) and system entries', async () => {
    const [alice, bob, carol] = await Promise.all([register(server.url), register(server.url), register(server.url)]);
    const conv = await createConversation(server.url, alice, [bob, carol], 'group');
    const word = `vanish${Date.now().toString(36)}`;
    const kept = await send(alice, conv.id, `${word} stays`);
    const redacted = await send(alice, conv.id, `${word} goes`);
    const nulled = await send(alice, conv.id, `${word} goes too`);
    expect(await found(bob, { q: word })).toHaveLength(3);
    await database.db.query(`UPDATE messages SET content = content - 'text' WHERE id = $1`, [redacted]);
    await database.db.query(`UPDATE messages SET content = jsonb_set(content, '{text}', 'null') WHERE id = $1`, [nulled]);
    expect((await found(bob, { q: word })).map((r) => r.message_id)).toEqual([kept]);
    // "members_added"-style system entries hold no text to find.
    expect(await found(bob, { q: 'members_added' })).toEqual([]);
  });

  it('finds a message hidden by moderation for no one (its author neither) until it is restored', async () => {
    const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
    const conv = await createConversation(server.url, alice, [bob]);
    const word = `hushed${Date.now().toString(36)}`;
    const hidden = await send(alice, conv.id, `${word} here`);
    // The state moderation's hide sets (its log entry is the moderation suites' business).
    await database.db.query('UPDATE messages SET hidden_at = now() WHERE id = $1', [hidden]);
    expect(await found(bob, { q: word })).toEqual([]);
    expect(await found(alice, { q: word })).toEqual([]);
    await database.db.query('UPDATE messages SET hidden_at = NULL WHERE id = $1', [hidden]);
    expect((await found(bob, { q: word })).map((r) => r.message_id)).toEqual([hidden]);
  });

  it('counts searches against their own budget (RATE_LIMIT_SEARCH)', async () => {
    const limited = await startServer(database.db, { env: { RATE_LIMIT_SEARCH: '0.01:2' } });
    try {
      const alice = await register(limited.url);
      expect((await search(alice, { q: 'config' }, limited.url)).status).toBe(200);
      expect((await search(alice, { q: 'config' }, limited.url)).status).toBe(200);
      const third = await search(alice, { q: 'config' }, limited.url);
      expect(third).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
      // Other requests still pass: only the search budget is spent.
      expect((await api(limited.url, 'GET', '/api/v1/users/me', { token: alice.token })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
}

describe('message search on PGlite (embedded)', () => searchSuite('pglite'));
if (TEST_DATABASE_URL) describe('message search on PostgreSQL', () => searchSuite('postgres'));
else describe.skip('message search on PostgreSQL (skipped: needs PostgreSQL: set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)', () => searchSuite('postgres'));
