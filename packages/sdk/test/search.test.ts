import { describe, expect, it } from 'vitest';
import type { SearchResponse } from '@parley/protocol';
import { ParleyError } from '../src/errors.ts';
import { eventually } from './support/eventually.ts';
import { useRealServer } from './support/real-server.ts';

/** `client.search()` against the real server (PGlite in memory): typed results, paging, refusals. */
describe('client.search against the real server', () => {
  const real = useRealServer({ RATE_LIMIT_SEARCH: '100000:100000' });
  const registered = (name: string) => real.registered(name);

  it('finds messages with highlight ranges, pages by cursor, and surfaces refusals as ParleyError codes', async () => {
    const alice = await registered('alice');
    const bob = await registered('bob');
    alice.connect();
    await alice.connected();
    const conv = await alice.createDirect(bob.user!.id);
    for (const text of ['明日の会議は10時から', 'please reconfigure it', '会議、資料あり', 'unrelated']) alice.send(conv.id, text);
    await eventually(async () => expect((await bob.api.history(conv.id)).messages).toHaveLength(4));

    const page: SearchResponse = await bob.search('会議', { limit: 1 });
    expect(page.results).toHaveLength(1);
    const [first] = page.results;
    expect(first).toMatchObject({ conversation_id: conv.id, sender_id: alice.user!.id, match: 'word', snippet: { text: '会議、資料あり' } });
    expect(first!.snippet.highlights.map((h) => first!.snippet.text.slice(h.start, h.end))).toEqual(['会議']);
    expect(page.next_cursor).toEqual(expect.any(String));
    const next = await bob.search('会議', { limit: 1, cursor: page.next_cursor! });
    expect(next.results.map((r) => [r.snippet.text, r.match])).toEqual([['明日の会議は10時から', 'substring']]);
    expect(next.next_cursor).toBeNull();
    expect((await bob.search('CONFIG', { conversation_id: conv.id })).results.map((r) => r.seq)).toEqual([2]);

    const short = await bob.search('a').catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ParleyError);
    expect(short).toMatchObject({ code: 'validation_failed' });
  });
});
