import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createParley } from '../src/parley.ts';
import { createLogger } from '../src/logger.ts';
import { api, connect, createConversation, GENEROUS_LIMITS, register, sendMessage } from './support/harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The embedded tier as `npm start` runs it: PGlite opened from DATA_DIR by the server itself. */
async function boot() {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...GENEROUS_LIMITS });
  const parley = await createParley(config, { log: createLogger('silent') });
  const url = await parley.listen();
  return { parley, url, wsUrl: url.replace('http', 'ws') + '/ws' };
}

it('keeps history, cursors, accounts and signing keys across a restart on the same data directory', async () => {
  const first = await boot();
  const alice = await register(first.url);
  const bob = await register(first.url);
  const conv = await createConversation(first.url, alice, [bob]);
  const s = await connect(first, alice);
  for (let n = 1; n <= 5; n++) await sendMessage(s, conv.id, `before restart ${n}`);
  const b = await connect(first, bob);
  await b.request({ type: 'read', conversation_id: conv.id, seq: 3 });
  s.close();
  b.close();
  await first.parley.close();

  const second = await boot();
  try {
    // The access token issued before the restart still verifies: the key was kept.
    const view = await api(second.url, 'GET', `/api/v1/conversations/${conv.id}`, { token: bob.token });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ last_seq: 5, read_seq: 3, unread_count: 2 });
    const history = await api(second.url, 'GET', `/api/v1/conversations/${conv.id}/messages`, { token: bob.token });
    expect(history.body.messages.map((m: { message: { text: string } }) => m.message.text)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `before restart ${n}`),
    );
    const login = await api(second.url, 'POST', '/api/v1/auth/login', { body: { username: alice.username, password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    const again = await connect(second, alice);
    expect(await sendMessage(again, conv.id, 'after restart')).toMatchObject({ type: 'ack', seq: 6 });
    again.close();
  } finally {
    await second.parley.close();
  }
});
