import type { SearchHighlight, SearchSnippet } from '@parley/protocol';

/** Longest snippet, in UTF-16 code units: room for the longest query and some context around it. */
export const SNIPPET_LENGTH = 320;
/** Context kept before the first match when the message has to be cut. */
const CONTEXT_BEFORE = 80;

/**
 * Lower-cases character by character, keeping every character's length, so
 * an offset in the folded text is the same offset in the original. (A plain
 * `toLowerCase()` may lengthen the string: "İ" becomes two code units.) It
 * follows PostgreSQL's `lower()` closely enough for highlighting: the match
 * itself was decided by the database; where the two fold a rare character
 * differently, a snippet merely lacks a highlight.
 */
export function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

/** Every non-overlapping occurrence of `query` in `text`, case-insensitively. */
export function occurrences(text: string, query: string): SearchHighlight[] {
  const haystack = fold(text);
  const needle = fold(query);
  const found: SearchHighlight[] = [];
  if (!needle) return found;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
    found.push({ start: at, end: at + needle.length });
  }
  return found;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * A plain-text snippet of `text` around the first match of `query`, with the
 * matches inside it as ranges. Never markup: a client renders `text` as text
 * and wraps the ranges itself, so a message holding `<script>` stays text.
 */
export function snippetOf(text: string, query: string): SearchSnippet {
  const all = occurrences(text, query);
  if (text.length <= SNIPPET_LENGTH) {
    return { text, highlights: all, truncated_start: false, truncated_end: false };
  }
  const first = all[0]?.start ?? 0;
  let start = Math.max(0, first - CONTEXT_BEFORE);
  let end = Math.min(text.length, start + SNIPPET_LENGTH);
  start = Math.max(0, end - SNIPPET_LENGTH);
  // Never cut a character in two (a surrogate pair: emoji, rarer CJK).
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start += 1;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end -= 1;
  const highlights = all
    .filter((h) => h.end > start && h.start < end)
    .map((h) => ({ start: Math.max(h.start, start) - start, end: Math.min(h.end, end) - start }));
  return { text: text.slice(start, end), highlights, truncated_start: start > 0, truncated_end: end < text.length };
}
