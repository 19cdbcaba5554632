import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { api, createConversation, register, startServer, textMessage, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { REPO_ROOT } from './support/processes.ts';

const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const enabled = BROKERS.length > 0 && TEST_DATABASE_URL !== '';
const CONSUMERS = ['--conditions=@parley/source', '--import', 'tsx', 'packages/server/src/consumers/main.ts'];

/** `npm run consumers`: the consumers as their own process, the server running none (CONSUMERS_IN_PROCESS=off). */
(enabled ? describe : describe.skip)(
  enabled ? 'consumers as their own process' : 'consumers as their own process (skipped: needs Kafka at TEST_KAFKA_BROKERS and TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let server: TestServer;
    const prefix = `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
    beforeAll(async () => {
      database = await postgresDatabase();
      server = await startServer(database.db, { env: { KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, CONSUMERS_IN_PROCESS: 'off' } });
    });
    afterAll(async () => {
      await server?.close();
      await database?.drop();
    });

    it('refuses to start without DATABASE_URL and KAFKA_BROKERS (exit 2)', async () => {
      const proc = spawn(process.execPath, CONSUMERS, { cwd: REPO_ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
      expect(code).toBe(2);
      expect(stderr).toContain('needs DATABASE_URL and KAFKA_BROKERS');
    });

    it('moderates what the server stores: a blocked word becomes a hidden queue item', async () => {
      const operator = await register(server.url, 'op');
      const bob = await register(server.url, 'bob');
      const conv = await createConversation(server.url, bob, [operator]);
      expect((await api(server.url, 'POST', '/api/v1/admin/moderation/rules', { token: operator.token, body: { kind: 'word', pattern: 'quux' } })).status).toBe(201);
      const proc = spawn(process.execPath, CONSUMERS, {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: database.url!, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      try {
        const sent = await api(server.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: bob.token, body: textMessage('QUUX!') });
        expect(sent.status).toBe(201);
        // Nothing in the server consumes: the item can only come from the other process.
        await eventually(async () => {
          const rows = await database.db.query('SELECT 1 FROM moderation_items WHERE message_id = $1 AND hidden', [sent.body.message_id]);
          expect(rows).toHaveLength(1);
        }, { timeoutMs: 60_000, intervalMs: 200 });
      } finally {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    });
  },
);
