import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from '../support/databases.ts';
import { api, createConversation, register, sendMessage, type TestUser } from '../support/harness.ts';
import { spawnInstance, which, type Instance } from '../support/processes.ts';
import { TestSocket } from '../support/test-socket.ts';

/**
 * The backup procedures of docs/operations.md, run for real: history is
 * written through a running Parley, backed up as the runbook says, restored,
 * and read back through the API of a Parley started on the copy.
 */
const PASSWORD = 'correct horse battery';

/** Where Debian keeps the client binaries when they are not on PATH. */
function pgBinary(name: 'pg_dump' | 'pg_restore'): string | null {
  return which(name) ?? ['17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin/${name}`).find((p) => which(p)) ?? null;
}

interface Written {
  users: TestUser[];
  conversations: string[];
}

/** Three users, a direct and a group conversation, twelve messages from alternating senders. */
async function writeHistory(instance: Instance): Promise<Written> {
  const users = [await register(instance.url, 'alice'), await register(instance.url, 'bob'), await register(instance.url, 'carol')];
  const direct = await createConversation(instance.url, users[0]!, [users[1]!]);
  const group = await createConversation(instance.url, users[0]!, [users[1]!, users[2]!], 'group');
  const sockets = await Promise.all(users.map((u) => TestSocket.open(instance.wsUrl, u.token)));
  for (let i = 0; i < 6; i++) {
    expect((await sendMessage(sockets[i % 2]!, direct.id, `direct ${i}`)).type).toBe('ack');
    expect((await sendMessage(sockets[i % 3]!, group.id, `group ${i}`)).type).toBe('ack');
  }
  sockets.forEach((s) => s.close());
  return { users, conversations: [direct.id, group.id] };
}

/** What the API answers about that history, after logging in again with each password. */
async function readHistory(instance: Instance, written: Written) {
  const tokens: string[] = [];
  for (const u of written.users) {
    const login = await api(instance.url, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: PASSWORD } });
    expect(login.status).toBe(200);
    tokens.push(login.body.access_token as string);
  }
  const conversations = [];
  for (const id of written.conversations) {
    const history = await api(instance.url, 'GET', `/api/v1/conversations/${id}/messages?after_seq=0&limit=200`, { token: tokens[0] });
    const members = await api(instance.url, 'GET', `/api/v1/conversations/${id}/members`, { token: tokens[0] });
    expect([history.status, members.status]).toEqual([200, 200]);
    conversations.push({
      id,
      messages: (history.body.messages as Array<{ seq: number; message_id: string; sender_id: string; message: { type: string; text?: string } }>).map(
        (m) => ({ seq: m.seq, id: m.message_id, sender: m.sender_id, type: m.message.type, text: m.message.text ?? null }),
      ),
      members: (members.body.members as Array<{ id: string }>).map((m) => m.id).sort(),
    });
  }
  return { tokens, conversations };
}

/** Reads the restored history, checks that an access token issued before the backup still works, and sends once more. */
async function checkRestored(restored: Instance, written: Written, before: Awaited<ReturnType<typeof readHistory>>) {
  const after = await readHistory(restored, written);
  expect(after.conversations).toEqual(before.conversations);
  expect(after.conversations[1]!.members).toEqual(written.users.map((u) => u.id).sort());
  expect(after.conversations.flatMap((c) => c.messages.filter((m) => m.type === 'text'))).toHaveLength(12);
  // The signing keys live in the database: a token issued before the backup is still accepted.
  expect((await api(restored.url, 'GET', '/api/v1/users/me', { token: written.users[2]!.token })).status).toBe(200);
  // New sends continue each conversation's seq.
  const socket = await TestSocket.open(restored.wsUrl, after.tokens[1]!);
  for (const c of before.conversations) {
    const ack = await sendMessage(socket, c.id, 'after the restore');
    expect(ack).toMatchObject({ type: 'ack', seq: c.messages.at(-1)!.seq + 1 });
  }
  socket.close();
}

async function stop(instance: Instance) {
  instance.kill('SIGTERM');
  expect((await instance.exited).code).toBe(0);
}

const PG_DUMP = pgBinary('pg_dump');
const PG_RESTORE = pgBinary('pg_restore');
const postgresMissing = [!TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)', !PG_DUMP && 'pg_dump', !PG_RESTORE && 'pg_restore'].filter(Boolean);

const postgresSuite = () => {
  const databases: string[] = [];
  const instances: Instance[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'parley-backup-'));
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  const scratch = async () => {
    const name = `parley_test_backup_${Math.random().toString(36).slice(2, 10)}`;
    await admin(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  afterAll(async () => {
    for (const i of instances) i.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    for (const name of databases) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('pg_dump of a live database, pg_restore into a fresh one: a Parley on the copy serves the same history and continues the seqs', async () => {
    const source = await scratch();
    const original = await spawnInstance({ DATABASE_URL: source });
    instances.push(original);
    const written = await writeHistory(original);
    const before = await readHistory(original, written);

    // Online, as the runbook says: pg_dump reads one consistent snapshot while the instance keeps running.
    const dump = join(dir, 'parley.dump');
    execFileSync(PG_DUMP!, ['--format=custom', '--no-owner', `--file=${dump}`, `--dbname=${source}`], { stdio: 'pipe' });
    await stop(original);
    const target = await scratch();
    execFileSync(PG_RESTORE!, ['--no-owner', '--exit-on-error', `--dbname=${target}`, dump], { stdio: 'pipe' });

    const restored = await spawnInstance({ DATABASE_URL: target });
    instances.push(restored);
    await checkRestored(restored, written, before);
    await stop(restored);
  }, 120_000);
};

const embeddedSuite = () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-embedded-backup-'));
  const instances: Instance[] = [];
  afterAll(async () => {
    for (const i of instances) i.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('stop, copy DATA_DIR, start from the copy (the original deleted): the same history, and the seqs continue', async () => {
    const data = join(dir, 'data');
    const original = await spawnInstance({ DATA_DIR: data }, 120_000);
    instances.push(original);
    const written = await writeHistory(original);
    const before = await readHistory(original, written);
    await stop(original);

    const copy = join(dir, 'copy');
    cpSync(data, copy, { recursive: true, preserveTimestamps: true });
    rmSync(data, { recursive: true, force: true });
    const restored = await spawnInstance({ DATA_DIR: copy }, 120_000);
    instances.push(restored);
    await checkRestored(restored, written, before);
    await stop(restored);
  }, 240_000);
};

if (postgresMissing.length === 0) describe('backup and restore: PostgreSQL with pg_dump / pg_restore', postgresSuite);
else describe.skip(`backup and restore: PostgreSQL (skipped: needs ${postgresMissing.join(', ')})`, postgresSuite);
describe('backup and restore: the embedded data directory', embeddedSuite);
