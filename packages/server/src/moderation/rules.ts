import { RE2JS } from 're2js';
import type { ModerationRuleBody } from '@parley/protocol';
import { AppError } from '../errors.ts';

/**
 * Moderation rules: validated when an operator submits them, compiled once,
 * matched against message text by the moderation consumer.
 *
 * Regexes run on RE2JS, a pure-JS port of RE2: matching is linear in the
 * input, so a pattern such as `(a+)+$` that backtracks exponentially in
 * JavaScript's engine cannot stall the consumer. Inputs are bounded too
 * (`MAX_SCANNED_CHARS`), which with linear matching bounds the time per message.
 */

export const MAX_PATTERN_LENGTH = 512;
/** Message text beyond this is not scanned (message text is at most 16,000 characters anyway). */
export const MAX_SCANNED_CHARS = 16_000;

export type RuleKind = 'word' | 'regex' | 'domain' | 'rate';

export interface StoredRule {
  id: string;
  kind: RuleKind;
  pattern: string | null;
  max_messages: number | null;
  window_seconds: number | null;
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const invalid = (message: string) => new AppError('invalid_rule', message);

/** Checks a rule as submitted and returns it normalised; throws `invalid_rule` / `rule_matches_everything`. */
export function validateRule(body: ModerationRuleBody): Omit<StoredRule, 'id'> {
  switch (body.kind) {
    case 'word': {
      const word = (body.pattern ?? '').trim().toLowerCase();
      if (word.length === 0) throw new AppError('rule_matches_everything', 'a blank word would match every message');
      if (word.length > 100) throw invalid('a word is at most 100 characters');
      return { kind: 'word', pattern: word, max_messages: null, window_seconds: null };
    }
    case 'regex': {
      const pattern = body.pattern ?? '';
      if (pattern.length === 0) throw new AppError('rule_matches_everything', 'an empty pattern would match every message');
      if (pattern.length > MAX_PATTERN_LENGTH) throw invalid(`a pattern is at most ${MAX_PATTERN_LENGTH} characters`);
      let compiled: RE2JS;
      try {
        compiled = RE2JS.compile(pattern);
      } catch (err) {
        // RE2 syntax (no backreferences or lookaround): the parser's message says what is wrong.
        throw invalid(`not a valid RE2 regular expression: ${(err as Error).message}`);
      }
      // Whatever matches the empty text matches inside every text (`.*`, `^`, `a*`, `|x`).
      if (compiled.matcher('').find()) throw new AppError('rule_matches_everything', 'this pattern matches the empty text, so it would match every message');
      return { kind: 'regex', pattern, max_messages: null, window_seconds: null };
    }
    case 'domain': {
      const domain = (body.pattern ?? '').trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
      if (domain.length === 0) throw new AppError('rule_matches_everything', 'a blank domain would match every link');
      if (!DOMAIN.test(domain)) throw invalid('not a domain name (e.g. "spam.example")');
      return { kind: 'domain', pattern: domain, max_messages: null, window_seconds: null };
    }
    case 'rate': {
      const max = body.max_messages;
      const window = body.window_seconds;
      if (max === undefined || window === undefined) throw invalid('a rate rule needs max_messages and window_seconds');
      return { kind: 'rate', pattern: null, max_messages: max, window_seconds: window };
    }
  }
}

export interface TextHit {
  ruleId: string;
  kind: 'word' | 'regex' | 'domain';
}

/** The text rules compiled: words into one RE2 alternation, regexes each, domains as a set. */
export class CompiledRules {
  private readonly words: { pattern: RE2JS; ids: Map<string, string> } | null;
  private readonly regexes: Array<{ id: string; pattern: RE2JS }>;
  private readonly domains: Map<string, string>;
  readonly rate: StoredRule[];

  constructor(rules: readonly StoredRule[]) {
    const words = rules.filter((r) => r.kind === 'word' && r.pattern);
    this.words =
      words.length === 0
        ? null
        : {
            // Whole words, case-insensitive: "ass" does not hit "class".
            pattern: RE2JS.compile(`(?i)(?:^|[^\\pL\\pN_])(${words.map((w) => RE2JS.quote(w.pattern!)).join('|')})(?:$|[^\\pL\\pN_])`),
            ids: new Map(words.map((w) => [w.pattern!, w.id])),
          };
    this.regexes = rules.filter((r) => r.kind === 'regex' && r.pattern).map((r) => ({ id: r.id, pattern: RE2JS.compile(r.pattern!) }));
    this.domains = new Map(rules.filter((r) => r.kind === 'domain' && r.pattern).map((r) => [r.pattern!, r.id]));
    this.rate = rules.filter((r) => r.kind === 'rate');
  }

  /** The first text rule the message hits, or null. */
  match(text: string): TextHit | null {
    const scanned = text.slice(0, MAX_SCANNED_CHARS);
    if (this.words) {
      const m = this.words.pattern.matcher(scanned);
      if (m.find()) {
        const id = this.words.ids.get((m.group(1) ?? '').toLowerCase());
        if (id) return { ruleId: id, kind: 'word' };
      }
    }
    for (const r of this.regexes) if (r.pattern.matcher(scanned).find()) return { ruleId: r.id, kind: 'regex' };
    if (this.domains.size > 0) {
      for (const host of hostsIn(scanned)) {
        for (let d = host; d.includes('.'); d = d.slice(d.indexOf('.') + 1)) {
          const id = this.domains.get(d);
          if (id) return { ruleId: id, kind: 'domain' };
        }
      }
    }
    return null;
  }
}

/**
 * Host names in a text, with or without a scheme ("spam.example/x",
 * "https://a.spam.example:8443"). Split on characters no URL host has, then
 * cut each piece: no regex with nested repetition runs on message text.
 */
export function hostsIn(text: string): string[] {
  const hosts: string[] = [];
  for (const piece of text.toLowerCase().split(/[^a-z0-9.\-:/@]+/)) {
    if (!piece.includes('.')) continue;
    let rest = piece;
    const scheme = rest.indexOf('://');
    if (scheme >= 0) rest = rest.slice(scheme + 3);
    const at = rest.lastIndexOf('@', rest.indexOf('/') >= 0 ? rest.indexOf('/') : rest.length);
    if (at >= 0) rest = rest.slice(at + 1);
    const end = rest.search(/[/:]/);
    let host = end >= 0 ? rest.slice(0, end) : rest;
    let from = 0;
    let to = host.length;
    while (from < to && host[from] === '.') from++;
    while (to > from && host[to - 1] === '.') to--;
    host = host.slice(from, to);
    if (host.includes('.')) hosts.push(host);
  }
  return hosts;
}
