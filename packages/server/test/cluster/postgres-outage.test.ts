import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAppError } from '../../src/errors.ts';
import { DatabaseUnavailable } from '../../src/store/database-error.ts';
import { openPostgres } from '../../src/store/postgres-database.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Database } from '../../src/store/database.ts';
import { postgresBinary, startPrivatePostgres, type PrivatePostgres } from '../support/processes.ts';
import { api, connect, createConversation, register, sendMessage, startServer, textMessage, type TestServer } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';

const INITDB = postgresBinary('initdb');
const PG_CTL = postgresBinary('pg_ctl');

/** The value of one sample of the instance's metrics, 0 when absent. */
async function sample(server: TestServer, name: string, labels: string): Promise<number> {
  const text = await server.parley.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/**
 * PostgreSQL stopped under load (a private cluster the test stops and
 * starts): sends in the gap are answered `unavailable` with a `retry_after`
 * (REST 503), never `internal`; /readyz says not ready until the database
 * answers again; a metric counts the refusals; and a client that retries
 * its refused sends by client_msg_id ends with every send stored once and
 * no acked message lost.
 */
const suite = () => {
  let pg: PrivatePostgres;
  let db: Database;
  let server: TestServer;

  beforeAll(async () => {
    pg = await startPrivatePostgres(INITDB!, PG_CTL!);
    db = openPostgres(pg.url, 10);
    await migrate(db);
    server = await startServer(db);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await pg?.destroy();
  });

  it('answers sends `unavailable` while the database is down, reports not ready, and loses no acked message', async () => {
    const [x, y] = await Promise.all([register(server.url), register(server.url)]);
    const group = await createConversation(server.url, x, [y], 'group');
    const xs = await connect(server, x);
    expect((await api(server.url, 'GET', '/readyz')).status).toBe(200);
    expect(await sample(server, 'parley_database_up', '')).toBe(1);

    // A client sending one message after another, keeping what was acked and what was refused.
    const acked = new Map<string, number>();
    const refused: string[] = [];
    const errors: Array<Record<string, unknown>> = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const id = crypto.randomUUID();
        const reply = await sendMessage(xs, group.id, `m${i}`, id);
        if (reply.type === 'ack') acked.set(id, reply.seq as number);
        else {
          errors.push(reply);
          refused.push(id);
        }
      }
    })();
    await eventually(() => acked.size >= 5);

    await pg.stop();
    await eventually(() => errors.length >= 3, { timeoutMs: 10_000 });
    const rest = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/messages`, { token: x.token, body: textMessage('over REST') });
    expect(rest.status).toBe(503);
    expect(rest.body.error.code).toBe('unavailable');
    expect(rest.body.error.retry_after).toBeGreaterThan(0);
    const ready = await api(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(await sample(server, 'parley_database_up', '')).toBe(0);
    for (const e of errors) expect([e.type, e.code, typeof e.retry_after]).toEqual(['error', 'unavailable', 'number']);
    expect(await sample(server, 'parley_dependency_unavailable_total', 'dependency="postgres"')).toBeGreaterThanOrEqual(errors.length + 1);

    await pg.start();
    await eventually(async () => expect((await api(server.url, 'GET', '/readyz')).status).toBe(200), { timeoutMs: 20_000, intervalMs: 100 });
    expect(await sample(server, 'parley_database_up', '')).toBe(1);
    const before = acked.size;
    await eventually(() => acked.size >= before + 5, { timeoutMs: 20_000 });
    sending = false;
    await sender;

    // The client retries what was refused, by the same client_msg_id.
    for (const id of refused) {
      const reply = await sendMessage(xs, group.id, 'retried', id);
      expect(reply.type).toBe('ack');
      acked.set(id, reply.seq as number);
    }
    const stored = await db.query<{ seq: number; client_msg_id: string }>(
      "SELECT seq, client_msg_id FROM messages WHERE conversation_id = $1 AND kind = 'message' ORDER BY seq",
      [group.id],
    );
    const storedIds = stored.map((e) => e.client_msg_id);
    expect(new Set(storedIds).size).toBe(storedIds.length); // nothing stored twice
    for (const [id, seq] of acked) expect(stored.find((e) => e.client_msg_id === id)?.seq).toBe(seq); // nothing acked lost
    expect(storedIds.length).toBe(acked.size);
    xs.close();
  }, 90_000);
};

if (INITDB && PG_CTL) describe('PostgreSQL outage (a private PostgreSQL cluster the test stops and starts)', suite);
else describe.skip('PostgreSQL outage (skipped: needs initdb and pg_ctl, on PATH or in /usr/lib/postgresql/<version>/bin)', suite);

/**
 * A database host that takes the TCP connection and never answers (a
 * firewall, a hung server): statements fail as unavailable once the connect
 * timeout passes, instead of waiting for the kernel to give up minutes later.
 */
describe('PostgreSQL that never answers', () => {
  it('fails statements and transactions as unavailable after the connect timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const hung = openPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`, 2, 200);
    try {
      const failure = await hung.query('SELECT 1').catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(DatabaseUnavailable);
      expect(toAppError(failure)).toMatchObject({ code: 'unavailable', status: 503, retryAfter: 1 });
      expect(await hung.transaction((tx) => tx.query('SELECT 1')).catch((err: unknown) => err)).toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await hung.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
