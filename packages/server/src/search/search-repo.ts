import type { ConversationId, UserId } from '@parley/protocol';
import type { Sql, SqlParam } from '../store/database.ts';

export interface SearchFilters {
  conversationId?: ConversationId;
  senderId?: UserId;
  /** Created at or after (ISO 8601). */
  since?: string;
  /** Created before (ISO 8601). */
  until?: string;
}

/** Where the previous page ended, in the order of the results. */
export interface SearchPosition {
  bucket: 0 | 1;
  /** created_at with microseconds, UTC (`2026-12-03T08:40:01.123456Z`). */
  at: string;
  id: string;
}

export interface SearchRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  created_at: Date;
  /** The exact created_at, for the cursor (a Date keeps only milliseconds). */
  at: string;
  text: string;
  /** 0: the query stands as a whole word; 1: inside a word. */
  bucket: 0 | 1;
}

/**
 * What may stand on either side of a whole word, besides the start and end
 * of the text: whitespace, ASCII punctuation, and the common CJK and
 * full-width punctuation. Spelt out as a regular-expression bracket rather
 * than left to the database's locale, so ranking is the same everywhere.
 */
const WORD_BREAK = String.raw`[[:space:]!-/:-@\[-\`{-~、。，．！？：；「」『』（）【】〈〉《》・…　]`;
/** Backslash before every character of the query that is not a letter or digit: the rest of an ARE is then literal. */
const ESCAPE_REPLACEMENT = String.raw`\\\1`;

/** How to find the matches: read every entry of the searched conversations, or ask the bigram index first. */
export type SearchStrategy = 'scan' | 'index';

/** How often bigrams occur, as ANALYZE last sampled the search index (pg_stats of its expression); null before any ANALYZE. */
export interface BigramStats {
  /** Rows in the index (messages with text). */
  rows: number;
  /** Fraction of messages holding each of the most common bigrams. */
  frequency: Map<string, number>;
  /** Below every listed frequency: an upper bound for a bigram that is not listed. */
  floor: number;
}

export async function bigramStats(sql: Sql): Promise<BigramStats | null> {
  const [row] = await sql.query<{ elems: string[] | null; freqs: number[] | null; rows: number }>(
    `SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs, c.reltuples::float8 AS rows
       FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename AND c.relkind = 'i'
      WHERE s.tablename = 'message_search_bigrams_idx' AND s.schemaname = current_schema()`,
  );
  if (!row?.elems || !row.freqs || !(row.rows > 0)) return null;
  // most_common_elem_freqs ends with the lowest and highest frequency and the null fraction.
  const frequency = new Map(row.elems.map((e, i) => [e, Number(row.freqs![i])]));
  return { rows: Number(row.rows), frequency, floor: Number(row.freqs[row.elems.length]) };
}

/**
 * Entries (messages and system entries) in the conversations a search covers:
 * the counters' sum, cheap to read. It picks the strategy only; the search
 * itself reads membership again in its own statement.
 */
export async function scopeSize(sql: Sql, me: UserId, conversationId?: ConversationId): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    `SELECT coalesce(sum(c.last_seq), 0)::int AS n
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.user_id = $1 ${conversationId ? 'AND cm.conversation_id = $2' : ''}`,
    conversationId ? [me, conversationId] : [me],
  );
  return row?.n ?? 0;
}

/**
 * Messages of the searcher's conversations whose text holds `query`
 * (case-insensitively), in rank order: whole-word matches first, then newest
 * first, then by id. Membership is read in the same statement as the
 * messages, so someone removed a moment ago finds nothing there. Entries
 * without text are never matched: system entries, and deleted messages once
 * their text is redacted to NULL. A whole word is the query between the start
 * or end of the text, whitespace or punctuation (WORD_BREAK).
 *
 * With `index`, the bigram index (`message_search`, migration 017, filled
 * by the search indexer after sends commit) narrows the rows first: it only
 * proposes candidates, every one is checked against the message's current
 * text and state below, so a row the indexer has not yet brought up to date
 * after an edit or a delete shows nothing it should not; a message sent a
 * moment ago is found once the indexer has reached it;
 * with `scan`, every entry of the searcher's conversations is read (the
 * planner cannot tell a bigram in most messages from a rare one, so the
 * choice is made by the caller from the scope's size). `strpos` decides. No
 * part of the query is ever a LIKE pattern, and it reaches the ranking's
 * regular expression only with every non-alphanumeric character escaped, so
 * `%`, `_`, `\` and regex metacharacters are plain characters; it travels as
 * a bound parameter, so quotes are too.
 */
export async function searchMessages(
  sql: Sql,
  me: UserId,
  query: string,
  filters: SearchFilters,
  after: SearchPosition | null,
  limit: number,
  strategy: SearchStrategy,
): Promise<SearchRow[]> {
  const params: SqlParam[] = [me, query, WORD_BREAK, ESCAPE_REPLACEMENT];
  const bind = (value: SqlParam) => `$${params.push(value)}`;
  const conditions: string[] = [];
  if (filters.conversationId) conditions.push(`m.conversation_id = ${bind(filters.conversationId)}::uuid`);
  if (filters.senderId) conditions.push(`m.sender_id = ${bind(filters.senderId)}::uuid`);
  if (filters.since) conditions.push(`m.created_at >= ${bind(filters.since)}::timestamptz`);
  if (filters.until) conditions.push(`m.created_at < ${bind(filters.until)}::timestamptz`);
  const page = after
    ? `WHERE bucket > ${bind(after.bucket)}::int
          OR (bucket = $${params.length}::int AND (created_at, id) < (${bind(after.at)}::timestamptz, ${bind(after.id)}::uuid))`
    : '';
  // Ranking reads each match's text once more: a space-padded strpos settles
  // most whole words, the regular expression (built from the escaped query)
  // the rest. Only the page's rows are then read in full.
  return sql.query<SearchRow>(
    `WITH q AS (
       SELECT lower($2) AS lq,
              '(^|' || $3 || ')' || regexp_replace(lower($2), '([^[:alnum:]])', $4, 'g') || '($|' || $3 || ')' AS word
     ),${
       // The index is asked once, for every message holding the bigrams, before
       // any join: left to itself the planner may ask it again for each
       // conversation of the searcher (thousands of times). The candidates'
       // messages are then read by primary key from an array, not joined: with
       // nested loops off (search-service.ts) a join would read all messages.
       strategy === 'index'
         ? `
     candidates AS MATERIALIZED (
       SELECT id, conversation_id, sender_id, kind, content, created_at, hidden_at FROM messages
        WHERE id = ANY (ARRAY(
                SELECT message_id FROM message_search
                 WHERE parley_search_bigrams(text) @> parley_search_bigrams($2)))
     ),`
         : ''
     }
     hits AS (
       SELECT m.id, m.created_at,
              CASE WHEN strpos(' ' || lower(m.content->>'text') || ' ', ' ' || q.lq || ' ') > 0 THEN 0
                   WHEN lower(m.content->>'text') ~ q.word THEN 0
                   ELSE 1 END AS bucket
         FROM q, ${strategy === 'index' ? 'candidates m' : 'messages m'}
         JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1::uuid
        WHERE m.kind = 'message'
          AND m.hidden_at IS NULL -- hidden by moderation: found by no one until restored
          AND m.content->>'text' IS NOT NULL
          AND strpos(lower(m.content->>'text'), q.lq) > 0
          ${conditions.map((c) => `AND ${c}`).join('\n          ')}
     )
     SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.created_at, h.bucket,
            to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
            m.content->>'text' AS text
       FROM (SELECT id, bucket FROM hits ${page} ORDER BY bucket, created_at DESC, id DESC LIMIT ${bind(limit)}) h
       JOIN messages m ON m.id = h.id
      ORDER BY h.bucket, m.created_at DESC, m.id DESC`,
    params,
  );
}
