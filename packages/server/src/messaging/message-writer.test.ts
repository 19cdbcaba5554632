import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import { seedGroup } from '../../test/support/seed.ts';
import { openPostgres } from '../store/postgres-database.ts';
import { MessageWriter } from './message-writer.ts';

const text = (client_msg_id: string) => ({ type: 'text' as const, text: 'hi', client_msg_id });

function suite(kind: DatabaseKind) {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await makeDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const seed = (members: number) => seedGroup(database.db, members);

  const seqsOf = async (conversation: string) =>
    (await database.db.query<{ seq: number; client_msg_id: string }>(
      'SELECT seq, client_msg_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conversation],
    ));

  it('writes a burst in batches: dense seqs in arrival order, retries inside a batch answered with the original, non-members refused', async () => {
    const { conversation, ids } = await seed(3);
    const other = await seed(2);
    const outsider = crypto.randomUUID();
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 100, outbox: true });

    const sends = Array.from({ length: 40 }, (_, i) => writer.write(conversation, ids[i % 3]!, text(`m${i}`)));
    const retry = writer.write(conversation, ids[0]!, text('m0')); // same sender, same id as the first
    const elsewhere = writer.write(other.conversation, other.ids[0]!, text('m0')); // same id, other conversation: distinct
    const refused = writer.write(conversation, outsider, text('x')).catch((e: { code: string }) => e.code);

    const results = await Promise.all(sends);
    expect(results.map((r) => r.entry.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(results.every((r) => !r.duplicate && r.audience?.length === 3)).toBe(true);
    expect(results[5]!.entry).toMatchObject({ sender_id: ids[2], message: { type: 'text', text: 'hi', client_msg_id: 'm5', attachments: [] } });
    expect(await retry).toMatchObject({ duplicate: true, entry: { message_id: results[0]!.entry.message_id, seq: 1 } });
    expect(await elsewhere).toMatchObject({ duplicate: false, entry: { seq: 1 } });
    expect(await refused).toBe('conversation_not_found');

    const [row] = await database.db.query<{ n: number; last: number }>(
      'SELECT count(*)::int AS n, max(seq) AS last FROM messages WHERE conversation_id = $1',
      [conversation],
    );
    expect(row).toEqual({ n: 40, last: 40 });
    const cursors = await database.db.query<{ read_seq: number }>(
      'SELECT read_seq FROM conversation_members WHERE conversation_id = $1 ORDER BY read_seq',
      [conversation],
    );
    // Each sender's read cursor is at their newest message: 38, 39, 40.
    expect(cursors.map((c) => c.read_seq)).toEqual([38, 39, 40]);
  });

  it('answers a later retry with the stored original, content and time included', async () => {
    const { conversation, ids } = await seed(2);
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 100, outbox: true });
    const first = await writer.write(conversation, ids[0]!, { type: 'text', text: 'original', client_msg_id: 'r1' });
    const again = await writer.write(conversation, ids[0]!, { type: 'text', text: 'changed on retry', client_msg_id: 'r1' });
    expect(again).toEqual({ ...first, duplicate: true, audience: null });
    expect(again.entry.message).toMatchObject({ text: 'original' });
  });

  it('keeps each conversation in arrival order across several lanes', async () => {
    const rooms = await Promise.all(Array.from({ length: 6 }, () => seed(2)));
    const writer = new MessageWriter(database.db, { maxBatch: 8, lanes: 3, largeRoomThreshold: 100, outbox: true });
    const sends = Array.from({ length: 120 }, (_, i) => {
      const room = rooms[i % rooms.length]!;
      return writer.write(room.conversation, room.ids[i % 2]!, text(`l${i}`));
    });
    const results = await Promise.all(sends);
    for (const [r, room] of rooms.entries()) {
      const mine = results.filter((_, i) => i % rooms.length === r);
      expect(mine.map((x) => x.entry.seq)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
      expect((await seqsOf(room.conversation)).map((m) => m.client_msg_id)).toEqual(
        Array.from({ length: 20 }, (_, k) => `l${k * rooms.length + r}`),
      );
    }
  });

  it('keeps each conversation in arrival order when a lane runs several batches at once', async () => {
    const rooms = await Promise.all(Array.from({ length: 4 }, () => seed(2)));
    const writer = new MessageWriter(database.db, { maxBatch: 4, lanes: 1, batchesPerLane: 3, largeRoomThreshold: 100, outbox: true });
    const sends = Array.from({ length: 80 }, (_, i) => {
      const room = rooms[i % rooms.length]!;
      return writer.write(room.conversation, room.ids[i % 2]!, text(`p${i}`));
    });
    // Each room's first send again, by its sender (room r: p{r}, by ids[r % 2]).
    const retries = rooms.map((room, r) => writer.write(room.conversation, room.ids[r % 2]!, text(`p${r}`)));
    const results = await Promise.all(sends);
    for (const [r, room] of rooms.entries()) {
      const mine = results.filter((_, i) => i % rooms.length === r);
      expect(mine.map((x) => x.entry.seq)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
      expect((await seqsOf(room.conversation)).map((m) => m.client_msg_id)).toEqual(Array.from({ length: 20 }, (_, k) => `p${k * rooms.length + r}`));
      expect(await retries[r]).toMatchObject({ duplicate: true, entry: { seq: 1 } });
    }
  });

  it('stores a send once when two instances write the same client_msg_ids at once', async () => {
    const { conversation, ids } = await seed(2);
    // Two writers stand for two server instances sharing the database.
    const a = new MessageWriter(database.db, { maxBatch: 4, lanes: 2, largeRoomThreshold: 100, outbox: true });
    const b = new MessageWriter(database.db, { maxBatch: 4, lanes: 2, largeRoomThreshold: 100, outbox: true });
    const n = 30;
    const [fromA, fromB] = await Promise.all([
      Promise.all(Array.from({ length: n }, (_, i) => a.write(conversation, ids[0]!, text(`race${i}`)))),
      Promise.all(Array.from({ length: n }, (_, i) => b.write(conversation, ids[0]!, text(`race${i}`)))),
    ]);
    for (let i = 0; i < n; i++) {
      expect(fromA[i]!.entry.message_id).toBe(fromB[i]!.entry.message_id);
      expect(fromA[i]!.duplicate !== fromB[i]!.duplicate).toBe(true);
    }
    const stored = await seqsOf(conversation);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(stored.map((m) => m.client_msg_id)).size).toBe(n);
  });

  // PostgreSQL only: PGlite keeps no pg_prepared_statements to look at.
  if (kind === 'postgres') it('plans a one-send batch once per connection, not once per batch (the generic plan is kept)', async () => {
    const { conversation, ids } = await seed(2);
    // One connection, so that its session's prepared statements are the writer's.
    const db = openPostgres(database.url!, 1);
    try {
      const writer = new MessageWriter(db, { maxBatch: 512, lanes: 1, largeRoomThreshold: 100, outbox: true });
      for (let i = 0; i < 12; i++) await writer.write(conversation, ids[i % 2]!, text(`g${i}`));
      const [plans] = await db.query<{ generic: number; custom: number }>(
        `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name LIKE 'parley_write_batch_%'`,
      );
      // PostgreSQL tries five custom plans first, then keeps the generic one if it looks no dearer.
      expect(plans).toEqual({ generic: 7, custom: 5 });
    } finally {
      await db.close();
    }
  });

  it('leaves the audience to the room channel for large rooms', async () => {
    const { conversation, ids } = await seed(4);
    const writer = new MessageWriter(database.db, { maxBatch: 16, lanes: 1, largeRoomThreshold: 4, outbox: true });
    expect(await writer.write(conversation, ids[1]!, text('big'))).toMatchObject({ audience: null, duplicate: false });
  });
}

describe('MessageWriter on PGlite', () => suite('pglite'));
if (TEST_DATABASE_URL) describe('MessageWriter on PostgreSQL', () => suite('postgres'));
else describe.skip('MessageWriter on PostgreSQL (skipped: needs PostgreSQL: set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)', () => suite('postgres'));
