/**
 * Renders a V8 `.cpuprofile` (node --cpu-prof) as a flame graph SVG and
 * prints the top functions by self time as a Markdown table. No dependency:
 * the profile is a call tree with a sample list, which is all a flame graph
 * needs.
 *
 *   npm run bench:flamegraph -- PROFILE.cpuprofile [--out graph.svg] [--window FROM_US:TO_US]
 *                               [--min 0.002] [--top 25] [--title TEXT]
 *
 * --window keeps only the samples taken between two CLOCK_MONOTONIC
 * timestamps in µs (the `mono_us` of the steps in a --pin result JSON), so the
 * graph shows the server at saturation rather than its whole life.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

interface Frame { name: string; self: number; total: number; children: Map<string, Frame> }

const { values: v, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    window: { type: 'string' },
    min: { type: 'string', default: '0.002' },
    top: { type: 'string', default: '25' },
    title: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npm run bench:flamegraph -- PROFILE.cpuprofile [--out graph.svg] [--window FROM_US:TO_US] [--top 25]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const [from, to] = v.window ? v.window.split(':').map(Number) : [-Infinity, Infinity];

function label(cf: CallFrame): string {
  const fn = cf.functionName || '(anonymous)';
  if (!cf.url) return fn;
  const url = cf.url.replace(/^file:\/\//, '');
  const short = url.includes('node_modules/')
    ? url.slice(url.lastIndexOf('node_modules/') + 13)
    : url.includes('/packages/') ? url.slice(url.indexOf('/packages/') + 1) : url.replace(/^node:/, 'node:');
  return `${fn} ${short}:${cf.lineNumber + 1}`;
}

// Samples per node within the window.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map<number, number>();
let t = profile.startTime;
let kept = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from! || t > to!) continue;
  hits.set(profile.samples[i]!, (hits.get(profile.samples[i]!) ?? 0) + 1);
  kept++;
}

// Fold each sampled node's stack into a tree keyed by label (same function, same parent path = one frame).
const root: Frame = { name: 'all', self: 0, total: 0, children: new Map() };
const selfByFn = new Map<string, number>();
for (const [id, n] of hits) {
  const stack: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur)!;
    if (node.callFrame.functionName === '(root)') break;
    stack.push(label(node.callFrame));
  }
  stack.reverse();
  let f = root;
  f.total += n;
  for (const name of stack) {
    let c = f.children.get(name);
    if (!c) f.children.set(name, (c = { name, self: 0, total: 0, children: new Map() }));
    c.total += n;
    f = c;
  }
  f.self += n;
  const leaf = stack[stack.length - 1] ?? '(root)';
  selfByFn.set(leaf, (selfByFn.get(leaf) ?? 0) + n);
}

// Self-time table (idle excluded from the "busy" column).
const idle = selfByFn.get('(idle)') ?? 0;
const busy = kept - idle;
const top = [...selfByFn.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Number(v.top));
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;
console.log(`samples ${kept} (idle ${pct(idle, kept)}); self time as a share of busy samples:\n`);
console.log('| function (file:line) | self, % of busy |');
console.log('|---|---:|');
for (const [name, n] of top) console.log(`| \`${name.replace(/\|/g, '\\|')}\` | ${pct(n, busy)} |`);

if (v.out) {
  const W = 1200;
  const H = 16;
  const minFrac = Number(v.min);
  const rects: string[] = [];
  let depthMax = 0;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const color = (name: string) => {
    if (name.startsWith('(garbage')) return '#c9c9c9';
    if (name.includes('packages/server')) return '#e8743b';
    if (name.includes('packages/protocol')) return '#f2a541';
    if (name.includes(' node:') || name.startsWith('(')) return '#8fb3d9';
    if (name.includes('.js:') || name.includes('.mjs:') || name.includes('.cjs:')) return '#e3c85d';
    return '#b7d97a';
  };
  const place = (f: Frame, x: number, depth: number, total: number) => {
    const w = (f.total / total) * W;
    if (f.total / total < minFrac) return;
    depthMax = Math.max(depthMax, depth);
    const y = depth; // flipped below once the height is known
    const text = w > 40 ? esc(f.name.slice(0, Math.floor(w / 6.5))) : '';
    rects.push(`${x.toFixed(1)}|${y}|${w.toFixed(1)}|${color(f.name)}|${esc(f.name)} (${pct(f.total, total)})|${text}`);
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      place(c, cx, depth + 1, total);
      cx += (c.total / total) * W;
    }
  };
  const busyRoot: Frame = { ...root, children: new Map([...root.children].filter(([k]) => k !== '(idle)')) };
  busyRoot.total = root.total - idle;
  busyRoot.name = `all busy samples (${busy} of ${kept}; idle ${pct(idle, kept)} left out)`;
  place(busyRoot, 0, 0, busyRoot.total);
  const height = (depthMax + 1) * H + 30;
  const body = rects.map((r) => {
    const [x, d, w, c, title, text] = r.split('|');
    const y = height - (Number(d) + 1) * H - 4;
    return `<g><title>${title}</title><rect x="${x}" y="${y}" width="${w}" height="${H - 1}" fill="${c}"/>${text ? `<text x="${Number(x) + 3}" y="${y + 11}">${text}</text>` : ''}</g>`;
  });
  const title = esc(v.title ?? file.split('/').pop()!);
  writeFileSync(v.out, `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="monospace" font-size="10"><text x="4" y="14" font-size="12">${title}</text>${body.join('')}</svg>\n`);
  console.log(`\nflame graph: ${v.out} (${rects.length} frames)`);
}
