import type { Sql } from '../../src/store/database.ts';

/**
 * A group conversation of `members` new users, written straight into the
 * tables, for unit tests of the storage layer that need no server.
 */
export async function seedGroup(db: Sql, members: number): Promise<{ conversation: string; ids: string[] }> {
  const ids = Array.from({ length: members }, () => crypto.randomUUID());
  for (const id of ids) {
    await db.query(`INSERT INTO users (id, username, display_name, password_hash) VALUES ($1, $2, 'x', 'x')`, [id, `t${id.slice(0, 12)}`]);
  }
  const conversation = crypto.randomUUID();
  await db.query(`INSERT INTO conversations (id, type, created_by, member_count) VALUES ($1, 'group', $2, $3)`, [conversation, ids[0]!, members]);
  for (const id of ids) await db.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)', [conversation, id]);
  return { conversation, ids };
}
