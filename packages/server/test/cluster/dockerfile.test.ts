import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes.ts';

// No Docker engine runs here. test/packaging.test.ts proves the runtime stage's
// install (scripts/runtime-install.sh) starts and serves; this file checks the
// Dockerfile runs that same script and wraps it the way a production image must.

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (continuations joined, comments dropped). */
function stages(text: string): Array<{ from: string; name: string | undefined; body: Instruction[] }> {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const out: Array<{ from: string; name: string | undefined; body: Instruction[] }> = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      out.push({ from, name, body: [] });
    } else {
      expect(out.length, `${op} before any FROM`).toBeGreaterThan(0);
      out.at(-1)!.body.push({ op: op.toUpperCase(), args });
    }
  }
  return out;
}

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const last = (body: Instruction[], op: string) => body.filter((i) => i.op === op).at(-1)?.args;

it('the Dockerfile builds in one stage and runs the compiled server from a runtime stage on Node 24', () => {
  const [build, runtime, ...rest] = stages(read('Dockerfile'));
  expect(rest).toEqual([]);
  for (const stage of [build!, runtime!]) expect(stage.from).toMatch(/^node:24[-.\w]*$/);
  // The build stage compiles and lays out the runtime with the script the packaging test exercises.
  const runs = build!.body.filter((i) => i.op === 'RUN').map((i) => i.args);
  expect(runs.some((r) => r.includes('npm ci'))).toBe(true);
  expect(runs.some((r) => r.includes('npm run build') && r.includes('scripts/runtime-install.sh /runtime'))).toBe(true);
  // The runtime stage copies only that layout, no sources, no dev dependencies.
  const copies = runtime!.body.filter((i) => i.op === 'COPY').map((i) => i.args);
  expect(copies).toEqual([`--from=${build!.name} --chown=1000:1000 /runtime /app`]);
  expect(runtime!.body.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  // Plain node on the compiled entry point, as PID 1 (exec form) so SIGTERM reaches the drain.
  const cmd = JSON.parse(last(runtime!.body, 'CMD')!) as string[];
  expect(cmd).toEqual(['node', 'packages/server/dist/main.js']);
  expect(cmd.join(' ')).not.toMatch(/tsx|npm/);
  expect(last(runtime!.body, 'STOPSIGNAL')).toBe('SIGTERM');
  expect(last(runtime!.body, 'HEALTHCHECK')).toMatch(/CMD .*\/readyz/);
  expect(last(runtime!.body, 'ENV')).toMatch(/NODE_ENV=production/);
});

it('the image runs as the numeric non-root user the Kubernetes manifest asks for', () => {
  const runtime = stages(read('Dockerfile')).at(-1)!;
  const user = last(runtime.body, 'USER');
  expect(user).toMatch(/^\d+(:\d+)?$/);
  const [uid, gid = uid] = user!.split(':').map(Number);
  expect(uid).toBeGreaterThan(0);
  const deployment = parseAllDocuments(read('deploy/k8s/parley.yaml'))
    .map((d) => d.toJS() as Record<string, any>)
    .find((d) => d.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  const security = { ...pod.securityContext, ...pod.containers[0].securityContext };
  expect(security).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
});

it('.dockerignore keeps data, dependencies, build output, tests artefacts and caches out of the build context', () => {
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  expect(ignored).toEqual(
    expect.arrayContaining(['**/node_modules', '**/dist', '**/data', '.git', 'bench/results', 'coverage', '.parley-test-*']),
  );
  // Every local data or cache folder git ignores is kept out of the image too.
  const gitignored = read('.gitignore')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const entry of gitignored) {
    expect(ignored.some((i) => i === entry || i === `**/${entry}` || i === entry.replace(/\/$/, '')), entry).toBe(true);
  }
});
