import { linkify } from './linkify.ts';

/** A run inside a line of message text. */
export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'code'; text: string }
  /** `@name` of someone the message mentions (`name` is their username, or `everyone`). */
  | { kind: 'mention'; text: string; name: string }
  | { kind: 'bold'; children: Inline[] }
  | { kind: 'italic'; children: Inline[] };

/** A block of message text: a paragraph (its newlines kept), a fenced code block, or a block quote. */
export type Block = { kind: 'paragraph'; children: Inline[] } | { kind: 'code-block'; text: string } | { kind: 'quote'; children: Inline[] };

/** Bold inside italic inside bold is as deep as it goes: deeper markers stay text (and parsing stays linear). */
const MAX_DEPTH = 3;
const FENCE = '```';

/**
 * Parses the little formatting chat people type: `**bold**`, `_italic_` or
 * `*italic*`, `` `code` ``, fenced code blocks and `> ` quotes, with http(s)
 * links found by `linkify`. The result is plain data that the caller turns
 * into React elements (never HTML), so markup in a message stays text. A
 * marker without its partner stays as typed. `mentioned` holds the usernames
 * the server resolved for this message (and `everyone` when it mentions
 * everyone): only those `@name`s become mention runs, so a name that is not a
 * member's stays text. Linear in the length of the text: every closing marker
 * is found through a table built in one pass, never by searching again from
 * each opening one.
 */
export function formatText(text: string, mentioned?: ReadonlySet<string>): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let quote: string[] = [];
  // Once a search for a closing fence failed, none further down can succeed: no line is searched twice.
  let closerAfter = -1;
  let noMoreClosers = false;
  const flushParagraph = (): void => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', children: parseInline(paragraph.join('\n'), mentioned) });
    paragraph = [];
  };
  const flushQuote = (): void => {
    if (quote.length > 0) blocks.push({ kind: 'quote', children: parseInline(quote.join('\n'), mentioned) });
    quote = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(FENCE) && !noMoreClosers) {
      if (closerAfter <= i) {
        closerAfter = -1;
        for (let j = i + 1; j < lines.length; j++) {
          if (lines[j]!.trimEnd() === FENCE) {
            closerAfter = j;
            break;
          }
        }
        if (closerAfter === -1) noMoreClosers = true;
      }
      if (closerAfter > i) {
        flushParagraph();
        flushQuote();
        blocks.push({ kind: 'code-block', text: lines.slice(i + 1, closerAfter).join('\n') });
        i = closerAfter;
        continue;
      }
    }
    if (line.startsWith('>')) {
      flushParagraph();
      quote.push(line.slice(line.startsWith('> ') ? 2 : 1));
      continue;
    }
    flushQuote();
    paragraph.push(line);
  }
  flushParagraph();
  flushQuote();
  return blocks;
}

/** The text a reader sees once markers are gone (for quotes of a reply, and previews). */
export function plainText(text: string): string {
  const out: string[] = [];
  const walk = (parts: Inline[]): void => {
    for (const p of parts) {
      if (p.kind === 'bold' || p.kind === 'italic') walk(p.children);
      else out.push(p.text);
    }
  };
  for (const block of formatText(text)) {
    if (out.length > 0) out.push('\n');
    if (block.kind === 'code-block') out.push(block.text);
    else walk(block.children);
  }
  return out.join('');
}

type Atom =
  | { kind: 'code'; end: number; text: string }
  | { kind: 'link'; end: number; text: string; href: string }
  | { kind: 'mention'; end: number; text: string; name: string };

const isSpace = (c: string | undefined): boolean => c === undefined || /\s/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);

// The server's reading of a mention (server/src/messaging/mentions.ts): an `@` that starts a word, then a username.
const NOT_BEFORE_MENTION = /[\w.@-]/;
const MENTION_NAME = /[A-Za-z0-9_.-]{3,32}/y;

/**
 * The `@name` at `at` (an `@`) when `mentioned` holds it; else null. A name
 * may end a sentence ("thanks @bob."): then it is the name without its
 * trailing dots, as the server resolves it. Reads at most 33 characters.
 */
function mentionAt(text: string, at: number, end: number, mentioned: ReadonlySet<string>): string | null {
  if (at > 0 && NOT_BEFORE_MENTION.test(text[at - 1]!)) return null;
  MENTION_NAME.lastIndex = at + 1;
  const match = MENTION_NAME.exec(text);
  if (!match || at + 1 + match[0].length > end) return null;
  const name = match[0];
  if (mentioned.has(name)) return name;
  const trimmed = name.replace(/[.-]+$/, '');
  return trimmed.length >= 3 && mentioned.has(trimmed) ? trimmed : null;
}

/** Inline runs of one paragraph or quote; `mentioned` as for `formatText`. */
export function parseInline(text: string, mentioned?: ReadonlySet<string>): Inline[] {
  const n = text.length;
  // Atoms are taken whole: code spans first (their text is literal), then links and mentions in what is left.
  const atoms = new Map<number, Atom>();
  const opaque = new Uint8Array(n);
  // Every `@`, found in one pass, for the mention runs (none looked for when the message mentions nobody).
  const ats: number[] = [];
  if (mentioned && mentioned.size > 0) for (let i = text.indexOf('@'); i !== -1; i = text.indexOf('@', i + 1)) ats.push(i);
  let nextAt = 0;
  const mentionsIn = (from: number, to: number): void => {
    while (nextAt < ats.length && ats[nextAt]! < from) nextAt++;
    for (; nextAt < ats.length && ats[nextAt]! < to; nextAt++) {
      const at = ats[nextAt]!;
      const name = mentionAt(text, at, to, mentioned!);
      if (name === null) continue;
      const end = at + 1 + name.length;
      atoms.set(at, { kind: 'mention', end, text: text.slice(at, end), name });
      opaque.fill(1, at, end);
    }
  };
  let plainFrom = 0;
  const linksIn = (from: number, to: number): void => {
    let at = from;
    for (const part of linkify(text.slice(from, to))) {
      if (part.kind === 'link') {
        atoms.set(at, { kind: 'link', end: at + part.text.length, text: part.text, href: part.href });
        opaque.fill(1, at, at + part.text.length);
      } else if (ats.length > 0) mentionsIn(at, at + part.text.length);
      at += part.text.length;
    }
  };
  for (let i = text.indexOf('`'); i !== -1 && i < n; ) {
    const close = text.indexOf('`', i + 1);
    if (close === -1) break;
    if (close === i + 1) {
      i = close;
      continue;
    }
    linksIn(plainFrom, i);
    atoms.set(i, { kind: 'code', end: close + 1, text: text.slice(i + 1, close) });
    opaque.fill(1, i, close + 1);
    plainFrom = close + 1;
    i = text.indexOf('`', close + 1);
  }
  linksIn(plainFrom, n);

  // For each position, the nearest closing marker at or after it (n when there is none): built right to left, once.
  const closesBold = new Int32Array(n + 1).fill(n);
  const closesStar = new Int32Array(n + 1).fill(n);
  const closesUnder = new Int32Array(n + 1).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    closesBold[i] = closesBold[i + 1]!;
    closesStar[i] = closesStar[i + 1]!;
    closesUnder[i] = closesUnder[i + 1]!;
    if (opaque[i] || i === 0) continue;
    const c = text[i];
    const before = text[i - 1];
    if (isSpace(before)) continue;
    if (c === '*' && text[i + 1] === '*' && !opaque[i + 1]) closesBold[i] = i;
    else if (c === '*' && text[i + 1] !== '*' && before !== '*') closesStar[i] = i;
    else if (c === '_' && before !== '_' && text[i + 1] !== '_' && !isWordChar(text[i + 1])) closesUnder[i] = i;
  }

  const parse = (start: number, end: number, depth: number): Inline[] => {
    const out: Inline[] = [];
    let run = start;
    const flush = (to: number): void => {
      if (to > run) {
        const last = out.at(-1);
        if (last?.kind === 'text') last.text += text.slice(run, to);
        else out.push({ kind: 'text', text: text.slice(run, to) });
      }
    };
    let i = start;
    while (i < end) {
      const atom = opaque[i] ? atoms.get(i) : undefined;
      if (atom) {
        flush(i);
        out.push(
          atom.kind === 'code'
            ? { kind: 'code', text: atom.text }
            : atom.kind === 'link'
              ? { kind: 'link', text: atom.text, href: atom.href }
              : { kind: 'mention', text: atom.text, name: atom.name },
        );
        i = run = atom.end;
        continue;
      }
      if (opaque[i] || depth >= MAX_DEPTH) {
        i++;
        continue;
      }
      const c = text[i];
      let marker = 0;
      let close = end;
      let kind: 'bold' | 'italic' = 'italic';
      if (c === '*' && text[i + 1] === '*' && !isSpace(text[i + 2])) {
        marker = 2;
        kind = 'bold';
        close = closesBold[i + 3] ?? n;
      } else if (c === '*' && text[i + 1] !== '*' && !isSpace(text[i + 1])) {
        marker = 1;
        close = closesStar[i + 2] ?? n;
      } else if (c === '_' && !isWordChar(text[i - 1]) && text[i - 1] !== '_' && !isSpace(text[i + 1]) && text[i + 1] !== '_') {
        marker = 1;
        close = closesUnder[i + 2] ?? n;
      }
      if (marker === 0 || close + marker > end) {
        i++;
        continue;
      }
      flush(i);
      out.push({ kind, children: parse(i + marker, close, depth + 1) });
      i = run = close + marker;
    }
    flush(end);
    return out;
  };
  return parse(0, n, 0);
}
