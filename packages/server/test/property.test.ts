import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientFrames } from '@parley/protocol';
import { decodeFrame } from '../src/gateway/decode-frame.ts';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { connect, createConversation, register, sendMessage, startServer, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';

const types = [...Object.keys(ClientFrames), 'launch', '__proto__', 'constructor', ''];

/**
 * Frames that look like the real thing: every frame type with plausible
 * fields aimed at conversations and users given (the attacker's own and a
 * victim's), mixed with implausible and malformed ones.
 */
function frameArbitrary(conversationIds: string[], userIds: string[] = [crypto.randomUUID()]) {
  const conversationId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...conversationIds) }, fc.uuid(), fc.string());
  const seq = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }) }, fc.integer({ min: -5, max: 3_000_000_000 }), fc.double());
  const id = fc.string({ minLength: 1, maxLength: 10 });
  const plausible = fc.oneof(
    fc.record({
      type: fc.constant('send_message'),
      id,
      conversation_id: conversationId,
      message: fc.record({ type: fc.constant('text'), text: fc.string({ minLength: 1, maxLength: 40 }), client_msg_id: fc.string({ minLength: 1, maxLength: 8 }) }),
    }),
    fc.record({ type: fc.constant('sync'), id, cursors: fc.dictionary(fc.constantFrom(...conversationIds), fc.integer({ min: 0, max: 5 }), { maxKeys: 2 }) }),
    fc.record({ type: fc.constantFrom('delivered', 'read'), id, conversation_id: conversationId, seq }),
    fc.record({ type: fc.constant('typing'), id, conversation_id: conversationId, state: fc.constantFrom('start', 'stop') }),
    fc.record({ type: fc.constant('presence_subscribe'), id, user_ids: fc.uniqueArray(fc.constantFrom(...userIds), { maxLength: userIds.length }) }),
    fc.record({ type: fc.constant('ping'), id }),
  );
  const noise = fc.record(
    {
      type: fc.constantFrom(...types),
      id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
      conversation_id: conversationId,
      message: fc.anything(),
      seq,
      state: fc.string(),
      cursors: fc.anything(),
      user_ids: fc.anything(),
      token: fc.string(),
    },
    { requiredKeys: ['type'] },
  );
  return fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: noise });
}

describe('decodeFrame', () => {
  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? 'undefined')), (raw) => {
        const result = decodeFrame(raw);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts only frames that match their schema', () => {
    fc.assert(
      fc.property(frameArbitrary([crypto.randomUUID()]), (frame) => {
        const result = decodeFrame(JSON.stringify(frame));
        if (result.ok) expect(Object.keys(ClientFrames)).toContain(result.frame.type);
        else expect(['malformed_json', 'validation_failed', 'unknown_type', 'invalid_text']).toContain(result.error.code);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('a live server under generated frames', () => {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('stays up, leaks nothing across conversations and stores nothing for rejected frames', async () => {
    const [alice, bob, mallory] = [await register(server.url), await register(server.url), await register(server.url)];
    const victim = await createConversation(server.url, alice, [bob]);
    const own = await createConversation(server.url, mallory, [bob]);
    const aliceSocket = await connect(server, alice);
    await sendMessage(aliceSocket, victim.id, 'private history');
    const count = async (conversationId: string) =>
      (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]))[0]!.n;
    const victimRows = await count(victim.id);
    const victimCursors = await database.db.query('SELECT user_id, delivered_seq, read_seq FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id', [victim.id]);

    const m = await connect(server, mallory);
    const frames = fc.sample(frameArbitrary([victim.id, own.id], [alice.id, bob.id, mallory.id]), { numRuns: 400, seed: 42 });
    for (const frame of frames) m.sendRaw(JSON.stringify(frame));
    await m.request({ type: 'ping' }, 30_000);

    // The sample reached every handler, not just the validator.
    const answered = new Set(m.frames.filter((f) => f.type !== 'error').map((f) => f.type));
    expect([...answered]).toEqual(expect.arrayContaining(['ack', 'synced', 'receipt', 'presence', 'pong']));
    // Nothing of the victim conversation reached mallory, and nothing in it changed.
    // (An error, or a sync naming it among `removed`, only echoes the id she sent.)
    const leaked = m.frames.filter((f) => {
      if (f.type === 'error') return false;
      const shown = f.type === 'synced' ? { ...f, removed: [] } : f;
      return JSON.stringify(shown).includes(victim.id);
    });
    expect(leaked).toEqual([]);
    expect(JSON.stringify(m.frames)).not.toContain('private history');
    expect(m.frames.filter((f) => f.type === 'presence' && f.user_id === alice.id)).toEqual([]);
    expect(await count(victim.id)).toBe(victimRows);
    expect(await database.db.query('SELECT user_id, delivered_seq, read_seq FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id', [victim.id])).toEqual(victimCursors);
    // Mallory's own conversation holds exactly what was acked to her.
    const acked = m.frames.filter((f) => f.type === 'ack' && f.conversation_id === own.id && !f.duplicate);
    expect(await count(own.id)).toBe(acked.length);

    // The server still serves everyone.
    const bobSocket = await connect(server, bob);
    const ack = await sendMessage(aliceSocket, victim.id, 'still working');
    await eventually(() => expect(bobSocket.messages(victim.id).some((f) => f.message_id === ack.message_id)).toBe(true));
    [aliceSocket, bobSocket, m].forEach((s) => s.close());
  }, 60_000);
});
