/** A piece of message text: plain text, or a link to show as an anchor. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// http(s) URLs, and bare `www.` hosts. Anything else (javascript:, data:, mailto:) stays text.
const URL_LIKE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
// Punctuation that ends a sentence rather than the URL.
const TRAILING = /[.,;:!?'"*]+$/;

/**
 * Splits text into plain runs and links. Only `http:` and `https:` targets are
 * ever produced, and the caller renders parts as React text and `<a>`
 * elements, never as HTML, so message text cannot inject markup.
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_LIKE)) {
    const candidate = trimUrl(match[0]);
    const start = match.index;
    const href = toHref(candidate);
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** Drops trailing punctuation, and a closing bracket that has no opening one inside the URL. */
function trimUrl(raw: string): string {
  let url = raw.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']']] as const) {
    while (url.endsWith(close) && count(url, close) > count(url, open)) url = url.slice(0, -1).replace(TRAILING, '');
  }
  return url;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function toHref(candidate: string): string | null {
  const withScheme = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}
