import { Type, type Static } from 'typebox';
import { SeqSchema, Uuid, type ConversationId, type MessageId, type Seq, type UserId } from './common.ts';

/**
 * Message search (`GET /api/v1/search`): what the searcher's conversations
 * hold right now, ranked, with snippets as plain text plus highlight ranges
 * (never HTML, so no client can be led into injecting markup).
 */

/** Shortest query, in characters (code points) after trimming: two serve "会議"; one would match nearly everything. */
export const MIN_SEARCH_QUERY_LENGTH = 2;
/** Longest query, in characters. */
export const MAX_SEARCH_QUERY_LENGTH = 256;
/** Most results one page may carry. */
export const MAX_SEARCH_PAGE = 50;

export const SearchQuery = Type.Object({
  /** Found anywhere in a message's text, case-insensitively, as typed (a phrase, not separate words). */
  q: Type.String({ minLength: MIN_SEARCH_QUERY_LENGTH, maxLength: MAX_SEARCH_QUERY_LENGTH }),
  /** Only this conversation (the caller must be a member: else `conversation_not_found`). */
  conversation_id: Type.Optional(Uuid),
  /** Only messages sent by this user. */
  sender_id: Type.Optional(Uuid),
  /** Only messages created at or after this instant. */
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  /** Only messages created before this instant. */
  until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEARCH_PAGE })),
  /** Opaque: the `next_cursor` of the previous page of the same search. */
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$' })),
});
export type SearchQuery = Static<typeof SearchQuery>;

/** A range of `snippet.text` to highlight: UTF-16 code unit offsets (JavaScript string indices), `end` exclusive. */
export interface SearchHighlight {
  start: number;
  end: number;
}

export interface SearchSnippet {
  /** Plain text around the first match (the whole message when short). Render it as text, never as HTML. */
  text: string;
  highlights: SearchHighlight[];
  /** The message goes on before / after the snippet (a client may show "…"). */
  truncated_start: boolean;
  truncated_end: boolean;
}

export interface SearchResult {
  conversation_id: ConversationId;
  seq: Seq;
  message_id: MessageId;
  sender_id: UserId;
  created_at: string;
  /**
   * `word`: the query stands as a whole word (between the start or end of the
   * text, whitespace or punctuation); `substring`: inside a word. Word matches
   * rank first, then newest first within each.
   */
  match: 'word' | 'substring';
  snippet: SearchSnippet;
}

export interface SearchResponse {
  results: SearchResult[];
  /** Pass as `cursor` (with the same query and filters) for the next page; null on the last one. */
  next_cursor: string | null;
}

const Offset = Type.Integer({ minimum: 0 });

export const SearchResponseSchema = Type.Object({
  results: Type.Array(
    Type.Object({
      conversation_id: Uuid,
      seq: SeqSchema,
      message_id: Uuid,
      sender_id: Uuid,
      created_at: Type.String({ format: 'date-time' }),
      match: Type.Union([Type.Literal('word'), Type.Literal('substring')], {
        description: 'word: the query stands as a whole word; substring: inside a word. Word matches rank first, then newest first.',
      }),
      snippet: Type.Object({
        text: Type.String({ description: 'Plain text around the first match. Render as text, never as HTML.' }),
        highlights: Type.Array(Type.Object({ start: Offset, end: Offset }), {
          description: 'Ranges of snippet.text to highlight, in UTF-16 code units (JavaScript string indices), end exclusive.',
        }),
        truncated_start: Type.Boolean(),
        truncated_end: Type.Boolean(),
      }),
    }),
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last one.' }),
});

type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type SearchViewChecks = [Expect<SameShape<Static<typeof SearchResponseSchema>, SearchResponse>>];
