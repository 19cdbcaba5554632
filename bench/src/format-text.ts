/**
 * The web client's message formatting parser (apps/web/src/lib/format-text.ts)
 * on long and hostile text: time per character at 10k, 100k and 1M
 * characters. A linear parser keeps ns/char flat as the text grows; a
 * quadratic one multiplies it by ten at each step. Every text is parsed as a
 * message that mentions two names, so mention runs are looked for throughout.
 *
 *   npm run bench:format
 */
import { performance } from 'node:perf_hooks';
import { formatText } from '../../apps/web/src/lib/format-text.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';

const PATTERNS: Record<string, string> = {
  'prose with **bold**, _italic_ and links': 'See **this** and _that_ at https://example.com/a_b?c=1 or `code` here. ',
  'unclosed stars': '*a ',
  'unclosed underscores': '_a ',
  'bold openers, no closers': '**a ',
  'backticks': '`',
  'nested openers': '**_',
  'fences without an end': '```\n',
  'quote lines': '> *x\n',
  'links full of markers': 'www.a.io/*_ ',
  'mentions, resolved and not': 'hi @ann_b and @everyone, not @stranger or a@b.io. ',
  'at signs only': '@',
  'long unknown names': '@abcdefghijklmnopqrstuvwxyz0123456789 ',
};
// The usernames a message's `mentions` resolve to: every pattern is parsed as if it mentioned these.
const MENTIONED: ReadonlySet<string> = new Set(['ann_b', 'everyone']);
const SIZES = [10_000, 100_000, 1_000_000];

function nsPerChar(text: string): number {
  formatText(text, MENTIONED); // warm-up
  const runs = text.length >= 1_000_000 ? 3 : 10;
  const start = performance.now();
  for (let i = 0; i < runs; i++) formatText(text, MENTIONED);
  return ((performance.now() - start) * 1e6) / runs / text.length;
}

const rows: Row[] = [];
const results: Record<string, Record<number, number>> = {};
for (const [name, unit] of Object.entries(PATTERNS)) {
  results[name] = {};
  for (const size of SIZES) {
    const text = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const ns = nsPerChar(text);
    results[name][size] = ns;
    rows.push([`${name}, ${size.toLocaleString('en')} chars`, `${ns.toFixed(1)} ns/char`]);
  }
}
printTable('formatText: time per character', rows);
const file = await writeResult('format-text', 'node', { results, machine: machineInfo(), code: codeVersion(), node: process.version });
console.log(`\nwritten to ${file}`);
