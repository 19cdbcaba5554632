import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse, SearchResult } from '@parley/protocol';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { api, createConversation, register, startServer, textMessage, type TestServer, type TestUser } from './support/harness.ts';
import { SearchService } from '../src/search/search-service.ts';
import { bigramStats } from '../src/search/search-repo.ts';

/**
 * Message search (issue #15): substrings and CJK text through the bigram
 * index, membership at the moment of the search, filters, paging, ranking,
 * and queries full of SQL, LIKE and regex metacharacters. On PGlite and, when
 * TEST_DATABASE_URL is set, on PostgreSQL.
 */
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
    for (let i = 0; i < 60; i++) {
      await api(servers.scan!.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: alice.token, body: textMessage(`commonplace ${i}`) });
    }
    await database.db.query('ANALYZE messages');
    const stats = await bigramStats(database.db);
    expect(stats).not.toBeNull();
    expect(stats!.rows).toBeGreaterThan(60);
    expect(stats!.frequency.get('mm')).toBeGreaterThan(stats!.floor);
    const fresh = new SearchService(database.db, { scanLimit: 1 });
    expect(await fresh.strategyFor('commonplace', 10)).toBe('scan');
    expect(await fresh.strategyFor('qzjqxv', stats!.rows)).toBe('index');
    expect(await new SearchService(database.db, { scanLimit: 0 }).strategyFor('commonplace', 10)).toBe('index');
  });
}

type Strategy = 'scan' | 'index';

function strategySuite(getDatabase: () => TestDatabase, getServer: () => TestServer): void {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(() => {
    database = getDatabase();
    server = getServer();
  });

  const send = async (user: TestUser, conversationId: string, text: string): Promise<string> => {
    const res = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: textMessage(text) });
    if (res.status !== 201) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
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
