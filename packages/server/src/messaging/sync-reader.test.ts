import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import type { Database } from '../store/database.ts';
import { seedGroup } from '../../test/support/seed.ts';
import { MessageWriter } from './message-writer.ts';
import { SyncReader } from './sync-reader.ts';

function suite(kind: DatabaseKind) {
  let database: TestDatabase;
  let writer: MessageWriter;
  beforeAll(async () => {
    database = await makeDatabase(kind);
    writer = new MessageWriter(database.db, { maxBatch: 64, lanes: 1, largeRoomThreshold: 100, outbox: true });
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function group(members: number, messages: number) {
    const { conversation, ids } = await seedGroup(database.db, members);
    for (let i = 1; i <= messages; i++) await writer.write(conversation, ids[0]!, { type: 'text', text: `m${i}`, client_msg_id: `c${i}` });
    return { conversation, ids };
  }
  const texts = (entries: Array<{ message: unknown }>) => entries.map((e) => (e.message as { text: string }).text);

  it('answers syncs that arrive together in one batch, each with its own cursors, membership and pages', async () => {
    const g = await group(4, 12);
    const other = await group(2, 3);
    const reader = new SyncReader(database.db, 256);
    const [fromZero, fromTen, sameAsFirst, notMine, limited] = await Promise.all([
      reader.read(g.ids[1]!, { [g.conversation]: 0 }, 100),
      reader.read(g.ids[2]!, { [g.conversation]: 10, [other.conversation]: 0 }, 100),
      reader.read(g.ids[3]!, { [g.conversation]: 0 }, 100),
      reader.read(other.ids[1]!, { [g.conversation]: 0, [other.conversation]: 1 }, 100),
      reader.read(g.ids[1]!, { [g.conversation]: 0 }, 5),
    ]);
    expect(texts(fromZero.entries)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    expect(fromZero).toMatchObject({ cursors: { [g.conversation]: 12 }, limited: false, removed: [] });
    expect(sameAsFirst.entries).toEqual(fromZero.entries);
    expect(texts(fromTen.entries)).toEqual(['m11', 'm12']);
    expect(fromTen).toMatchObject({ cursors: { [g.conversation]: 12 }, removed: [other.conversation] });
    expect(texts(notMine.entries)).toEqual(['m2', 'm3']);
    expect(notMine).toMatchObject({ cursors: { [other.conversation]: 3 }, removed: [g.conversation], limited: false });
    expect(texts(limited.entries)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(limited).toMatchObject({ cursors: { [g.conversation]: 5 }, limited: true });
  });

  it('gives a sync that arrives while a batch is being read everything committed before it', async () => {
    const g = await group(2, 2);
    // Holds the first batch after its two queries (heads, pages), until the test lets it go.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let batchHeld!: () => void;
    const heldAfterReading = new Promise<void>((r) => (batchHeld = r));
    let queries = 0;
    const held: Database = {
      ...database.db,
      query: async (text, params) => {
        const rows = await database.db.query(text, params);
        if (++queries === 2) {
          batchHeld();
          await gate;
        }
        return rows as never;
      },
    };
    const reader = new SyncReader(held, 256);
    const early = reader.read(g.ids[1]!, { [g.conversation]: 0 }, 100);
    await heldAfterReading; // the first batch has read seqs 1..2
    await writer.write(g.conversation, g.ids[0]!, { type: 'text', text: 'm3', client_msg_id: 'c3' });
    const late = reader.read(g.ids[1]!, { [g.conversation]: 0 }, 100);
    release();
    expect(texts((await early).entries)).toEqual(['m1', 'm2']);
    expect(texts((await late).entries)).toEqual(['m1', 'm2', 'm3']);
  });
}

describe('SyncReader on PGlite', () => suite('pglite'));
if (TEST_DATABASE_URL) describe('SyncReader on PostgreSQL', () => suite('postgres'));
else describe.skip('SyncReader on PostgreSQL (skipped: needs PostgreSQL: set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)', () => suite('postgres'));
