import { afterAll, beforeAll, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { MessageWriter } from './message-writer.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await pgliteDatabase();
});
afterAll(async () => {
  await database?.drop();
});

async function seed(members: number) {
  const ids = Array.from({ length: members }, () => crypto.randomUUID());
  for (const id of ids) {
    await database.db.query(`INSERT INTO users (id, username, display_name, password_hash) VALUES ($1, $2, 'x', 'x')`, [id, `w${id.slice(0, 8)}`]);
  }
  const conversation = crypto.randomUUID();
  await database.db.query(`INSERT INTO conversations (id, type, created_by, member_count) VALUES ($1, 'group', $2, $3)`, [conversation, ids[0]!, members]);
  for (const id of ids) await database.db.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)', [conversation, id]);
  return { conversation, ids };
}

const text = (client_msg_id: string) => ({ type: 'text' as const, text: 'hi', client_msg_id });

it('writes a burst in batches: dense seqs in arrival order, retries inside a batch answered with the original, non-members refused', async () => {
  const { conversation, ids } = await seed(3);
  const other = await seed(2);
  const outsider = crypto.randomUUID();
  const writer = new MessageWriter(database.db, { maxBatch: 16, concurrency: 1, largeRoomThreshold: 100 });

  const sends = Array.from({ length: 40 }, (_, i) => writer.write(conversation, ids[i % 3]!, text(`m${i}`)));
  const retry = writer.write(conversation, ids[0]!, text('m0')); // same sender, same id as the first
  const elsewhere = writer.write(other.conversation, other.ids[0]!, text('m0')); // same id, other conversation: distinct
  const refused = writer.write(conversation, outsider, text('x')).catch((e: { code: string }) => e.code);

  const results = await Promise.all(sends);
  expect(results.map((r) => r.entry.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(results.every((r) => !r.duplicate && r.audience?.length === 3)).toBe(true);
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

it('leaves the audience to the room channel for large rooms', async () => {
  const { conversation, ids } = await seed(4);
  const writer = new MessageWriter(database.db, { maxBatch: 16, concurrency: 1, largeRoomThreshold: 4 });
  expect(await writer.write(conversation, ids[1]!, text('big'))).toMatchObject({ audience: null, duplicate: false });
});
