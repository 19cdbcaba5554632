import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { api, connect, createConversation, register, startServer, textMessage, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { REPO_ROOT } from './support/processes.ts';

const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const enabled = BROKERS.length > 0 && TEST_DATABASE_URL !== '';
// With Redis, the process pushes its hides to the servers' sockets (the servers share it); without, members learn them on sync.
const REDIS_URL = process.env.TEST_REDIS_URL ?? '';
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
      server = await startServer(database.db, {
        env: { KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, CONSUMERS_IN_PROCESS: 'off', ...(REDIS_URL ? { REDIS_URL } : {}) },
      });
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

    it('moderates what the server stores: a blocked word becomes a hidden queue item, the message hidden (pushed live over Redis)', async () => {
      const operator = await register(server.url, 'op');
      const bob = await register(server.url, 'bob');
      const conv = await createConversation(server.url, bob, [operator]);
      expect((await api(server.url, 'POST', '/api/v1/admin/moderation/rules', { token: operator.token, body: { kind: 'word', pattern: 'quux' } })).status).toBe(201);
      const proc = spawn(process.execPath, CONSUMERS, {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: database.url!, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info', REDIS_URL },
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      const socket = await connect(server, operator);
      try {
        const sent = await api(server.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: bob.token, body: textMessage('QUUX!') });
        expect(sent.status).toBe(201);
        // Nothing in the server consumes: the item can only come from the other process.
        await eventually(async () => {
          const rows = await database.db.query('SELECT 1 FROM moderation_items WHERE message_id = $1 AND hidden', [sent.body.message_id]);
          expect(rows).toHaveLength(1);
        }, { timeoutMs: 60_000, intervalMs: 200 });
        const [message] = await database.db.query<{ hidden: boolean }>('SELECT hidden_at IS NOT NULL AS hidden FROM messages WHERE id = $1', [sent.body.message_id]);
        expect(message!.hidden).toBe(true);
        if (REDIS_URL) {
          const hide = (f: Record<string, any>) => f.type === 'message' && f.message.type === 'change' && f.message.change === 'hidden' && f.message.target_id === sent.body.message_id;
          expect(await socket.next(hide, 30_000)).toMatchObject({ conversation_id: conv.id });
        }
      } finally {
        socket.close();
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    });
  },
);
