import {
  MAX_SEARCH_QUERY_LENGTH,
  MIN_SEARCH_QUERY_LENGTH,
  type SearchQuery,
  type SearchResponse,
  type UserId,
} from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { roleOf } from '../conversations/conversations-repo.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { bigramStats, scopeSize, searchMessages, type BigramStats, type SearchPosition, type SearchStrategy } from './search-repo.ts';
import { fold, snippetOf } from './snippets.ts';

const DEFAULT_PAGE = 20;
/** Bigram statistics are read again at most this often. */
const STATS_TTL_MS = 60_000;
/**
 * A candidate the index hands back costs about this many entries read by a
 * scan (a heap fetch out of order and a recheck, against reading a
 * conversation's entries in a row).
 */
const INDEX_ROW_COST = 3;

/**
 * Message search over the conversations the searcher is a member of at the
 * moment of the search: the same messages `GET /conversations/:id/messages`
 * would show them. Someone who left or was removed can no longer read that
 * history, so they find nothing in it either, old or new.
 */
export class SearchService {
  /**
   * Up to `scanLimit` entries in the searched conversations, reading them all
   * is the fast way: about a microsecond an entry whatever the query, where a
   * bigram found in most messages would make the index hand back most of the
   * table. Past it the bigram index narrows first (bench/README.md, bench:search).
   */
  constructor(
    private readonly sql: Database,
    private readonly options: { scanLimit: number },
  ) {}

  private stats: { at: number; value: Promise<BigramStats | null> } | null = null;

  /**
   * Scan up to `scanLimit` entries. Past it the index, unless the statistics
   * say the query's rarest bigram is in so many messages that the index would
   * hand back more candidates than the scope holds ("the", or "co" of
   * "config", in a large share of all messages). `scanLimit` 0 always uses
   * the index.
   */
  async strategyFor(q: string, scope: number): Promise<SearchStrategy> {
    if (this.options.scanLimit === 0) return 'index';
    if (scope <= this.options.scanLimit) return 'scan';
    const now = Date.now();
    if (!this.stats || now - this.stats.at > STATS_TTL_MS) this.stats = { at: now, value: bigramStats(this.sql).catch(() => null) };
    const stats = await this.stats.value;
    if (!stats) return 'index';
    const chars = [...fold(q)];
    let rarest = 1;
    for (let i = 0; i + 1 < chars.length; i++) rarest = Math.min(rarest, stats.frequency.get(chars[i]! + chars[i + 1]!) ?? stats.floor);
    return rarest * stats.rows * INDEX_ROW_COST > scope ? 'scan' : 'index';
  }

  async search(me: UserId, query: SearchQuery): Promise<SearchResponse> {
    const q = query.q.trim();
    const length = [...q].length;
    if (length < MIN_SEARCH_QUERY_LENGTH || length > MAX_SEARCH_QUERY_LENGTH) {
      throw new AppError('validation_failed', `querystring.q must have ${MIN_SEARCH_QUERY_LENGTH} to ${MAX_SEARCH_QUERY_LENGTH} characters besides surrounding spaces`);
    }
    const since = instant(query.since, 'since');
    const until = instant(query.until, 'until');
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.conversation_id && !(await roleOf(this.sql, query.conversation_id, me))) throw notFound();
    const limit = query.limit ?? DEFAULT_PAGE;
    const scope = await scopeSize(this.sql, me, query.conversation_id);
    const strategy = await this.strategyFor(q, scope);
    const run = (sql: Sql) =>
      searchMessages(sql, me, q, { conversationId: query.conversation_id, senderId: query.sender_id, since, until }, after, limit + 1, strategy);
    // The planner takes the index's candidates for a handful (it cannot read
    // bigram frequencies) and the searcher's memberships for a few, and would
    // loop over one for each of the other: thousands of times over. Hash joins
    // instead (EXPLAIN ANALYZE, bench:search at 300,000 messages: 6.1 s → 0.1 s).
    const rows =
      strategy === 'index'
        ? await this.sql.transaction(async (tx) => {
            await tx.query('SET LOCAL enable_nestloop = off');
            return run(tx);
          })
        : await run(this.sql);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.at(-1);
    return {
      results: page.map((row) => ({
        conversation_id: row.conversation_id,
        seq: row.seq,
        message_id: row.id,
        sender_id: row.sender_id,
        created_at: row.created_at.toISOString(),
        match: row.bucket === 0 ? 'word' : 'substring',
        snippet: snippetOf(row.text, q),
      })),
      next_cursor: more && last ? encodeCursor({ bucket: last.bucket, at: last.at, id: last.id }) : null,
    };
  }
}

function instant(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new AppError('validation_failed', `querystring.${name} must be a date-time`);
  return new Date(ms).toISOString();
}

const AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: where the page ended, as base64url JSON. */
export function encodeCursor(position: SearchPosition): string {
  return Buffer.from(JSON.stringify([position.bucket, position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): SearchPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    (value[0] === 0 || value[0] === 1) &&
    typeof value[1] === 'string' &&
    AT_PATTERN.test(value[1]) &&
    !Number.isNaN(Date.parse(value[1])) &&
    typeof value[2] === 'string' &&
    UUID_PATTERN.test(value[2])
  ) {
    return { bucket: value[0], at: value[1], id: value[2] };
  }
  throw new AppError('validation_failed', 'querystring.cursor is not a cursor this search returned');
}
