import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import { seedGroup } from '../../test/support/seed.ts';
import { api, createConversation, register, startServer, type TestServer } from '../../test/support/harness.ts';
import { MessageWriter } from '../messaging/message-writer.ts';
import { recordEvent } from './outbox.ts';

interface OutboxRow {
  id: string;
  event_id: string;
  type: string;
  schema_version: number;
  topic: string;
  key: string;
  payload: Record<string, unknown>;
  relayed_at: Date | null;
}

const text = (client_msg_id: string, body = 'hi') => ({ type: 'text' as const, text: body, client_msg_id });

function suite(kind: DatabaseKind) {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = await makeDatabase(kind);
    server = await startServer(database.db);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const eventsOf = (key: string) =>
    database.db.query<OutboxRow>('SELECT * FROM outbox WHERE key = $1 ORDER BY id', [key]);

  it('writes one message.created per stored message, in seq order, from the batch statement; retries and refused sends write none', async () => {
    const { conversation, ids } = await seedGroup(database.db, 3);
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 100, outbox: true });
    const sends = Array.from({ length: 30 }, (_, i) => writer.write(conversation, ids[i % 3]!, text(`m${i}`, `text ${i}`)));
    const retry = writer.write(conversation, ids[0]!, text('m0')); // same send again: the original, no new event
    const refused = writer.write(conversation, crypto.randomUUID(), text('x')).catch((e: { code: string }) => e.code);
    const results = await Promise.all(sends);
    expect(await refused).toBe('conversation_not_found');
    expect((await retry).duplicate).toBe(true);
    await writer.write(conversation, ids[0]!, text('m3')); // a later retry, in a batch of its own

    const events = await eventsOf(conversation);
    expect(events.map((e) => e.payload.seq)).toEqual(results.map((r) => r.entry.seq));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(30);
    expect(events[4]).toMatchObject({
      type: 'message.created',
      schema_version: 1,
      topic: 'messages',
      key: conversation,
      relayed_at: null,
      payload: {
        conversation_id: conversation,
        seq: 5,
        message_id: results[4]!.entry.message_id,
        sender_id: ids[1],
        message: { type: 'text', text: 'text 4', client_msg_id: 'm4', attachments: [] },
        created_at: results[4]!.entry.created_at,
      },
    });
  });

  it('writes no event for a send whose statement fails, and keeps the events of the sends batched with it', async () => {
    const { conversation, ids } = await seedGroup(database.db, 2);
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 100, outbox: true });
    // A NUL character cannot be stored in jsonb (SQLSTATE 22P05): that send's statement rolls back.
    const outcomes = await Promise.allSettled([
      writer.write(conversation, ids[0]!, text('a')),
      writer.write(conversation, ids[0]!, text('bad', 'nul \u0000 here')),
      writer.write(conversation, ids[1]!, text('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const events = await eventsOf(conversation);
    expect(events.map((e) => (e.payload.message as { client_msg_id: string }).client_msg_id)).toEqual(['a', 'c']);
    expect(events.map((e) => e.payload.seq)).toEqual([1, 2]);
  });

  it('writes no message events with OUTBOX=off (the measurement switch)', async () => {
    const { conversation, ids } = await seedGroup(database.db, 2);
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 100, outbox: false });
    await writer.write(conversation, ids[0]!, text('off'));
    expect(await eventsOf(conversation)).toEqual([]);
  });

  it('an event recorded in a transaction that rolls back is gone with it', async () => {
    const key = crypto.randomUUID();
    await expect(
      database.db.transaction(async (tx) => {
        await recordEvent(tx, 'user.registered', key, { user_id: key, username: 'ghost', display_name: 'ghost' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await eventsOf(key)).toEqual([]);
  });

  it('records user.registered without secrets, and none for a refused registration', async () => {
    const alice = await register(server.url);
    const [event, ...more] = await eventsOf(alice.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ type: 'user.registered', topic: 'users', payload: { user_id: alice.id, username: alice.username } });
    expect(Object.keys(event!.payload).sort()).toEqual(['display_name', 'user_id', 'username']);
    expect(JSON.stringify(event)).not.toMatch(/argon|password|token/i);

    const before = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE type = 'user.registered'`);
    const taken = await api(server.url, 'POST', '/api/v1/auth/register', { body: { username: alice.username, password: 'another password 1' } });
    expect(taken.status).toBe(409);
    expect(await database.db.query(`SELECT count(*)::int AS n FROM outbox WHERE type = 'user.registered'`)).toEqual(before);
  });

  it('records conversation.created, members_added, member_removed and member_left with the log entry seqs', async () => {
    const [alice, bob, carol, dave] = await Promise.all([1, 2, 3, 4].map(() => register(server.url)));
    const group = await createConversation(server.url, alice!, [bob!, carol!]);
    const direct = await createConversation(server.url, alice!, [bob!]);
    await createConversation(server.url, bob!, [alice!]); // the pair's existing direct conversation: no new event
    const add = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/members`, { token: alice!.token, body: { user_ids: [dave!.id] } });
    expect(add.status).toBe(200);
    expect((await api(server.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${carol!.id}`, { token: alice!.token })).status).toBe(204);
    expect((await api(server.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${dave!.id}`, { token: dave!.token })).status).toBe(204);
    // Refused (not an admin): nothing changes, no event.
    expect((await api(server.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${alice!.id}`, { token: bob!.token })).status).toBe(403);

    const events = await eventsOf(group.id);
    expect(events.map((e) => [e.type, e.topic, e.payload.seq ?? null])).toEqual([
      ['conversation.created', 'conversations', null],
      ['conversation.members_added', 'conversations', 1],
      ['conversation.member_removed', 'conversations', 2],
      ['conversation.member_left', 'conversations', 3],
    ]);
    expect(events[0]!.payload).toEqual({
      conversation_id: group.id,
      type: 'group',
      title: 'test group',
      created_by: alice!.id,
      member_ids: [alice!.id, bob!.id, carol!.id],
    });
    expect(events[1]!.payload).toEqual({ conversation_id: group.id, seq: 1, actor_id: alice!.id, user_ids: [dave!.id] });
    expect(events[3]!.payload).toMatchObject({ actor_id: dave!.id, user_ids: [dave!.id] });
    expect((await eventsOf(direct.id)).map((e) => e.type)).toEqual(['conversation.created']);
  });
}

describe('outbox on PGlite', () => suite('pglite'));
if (TEST_DATABASE_URL) describe('outbox on PostgreSQL', () => suite('postgres'));
else describe.skip('outbox on PostgreSQL (skipped: needs TEST_DATABASE_URL)', () => {});
