import type { UserId, UserView } from '@parley/protocol';
import { isUniqueViolation, type Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { storedName } from './names.ts';
import { eventColumnsSql } from '../events/outbox.ts';

export interface UserRecord extends UserView {
  password_hash: string;
}

const VIEW_COLUMNS = 'id, username, display_name, kind';

/** Users table access. Usernames are stored lower-cased, so they are unique regardless of case. */
export class UsersRepo {
  constructor(private readonly sql: Sql) {}

  async create(user: { username: string; displayName: string; passwordHash: string }): Promise<UserView> {
    const displayName = storedName('display_name', user.displayName);
    try {
      // One statement, so the user.registered event commits with the account
      // (and a taken username writes none). The payload never holds the hash.
      const [row] = await this.sql.query<UserView>(
        `WITH created AS (
           INSERT INTO users (id, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
           RETURNING ${VIEW_COLUMNS}, created_at
         ), event AS (
           INSERT INTO outbox (event_id, type, schema_version, topic, key, occurred_at, payload)
           SELECT gen_random_uuid(), ${eventColumnsSql('user.registered')}, id, created_at,
                  jsonb_build_object('user_id', id, 'username', username, 'display_name', display_name)
             FROM created
         )
         SELECT ${VIEW_COLUMNS} FROM created`,
        [crypto.randomUUID(), user.username.toLowerCase(), displayName, user.passwordHash],
      );
      return row!;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('username_taken', 'that username is taken');
      throw err;
    }
  }

  /** Sets a user's display name (validated like at registration); the updated view, or null for no such user. */
  async rename(id: UserId, displayName: string): Promise<UserView | null> {
    const name = storedName('display_name', displayName);
    const [row] = await this.sql.query<UserView>(`UPDATE users SET display_name = $2 WHERE id = $1 RETURNING ${VIEW_COLUMNS}`, [id, name]);
    return row ?? null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const [row] = await this.sql.query<UserRecord>(
      `SELECT ${VIEW_COLUMNS}, password_hash FROM users WHERE username = $1`,
      [username.toLowerCase()],
    );
    return row ?? null;
  }

  async findRecordById(id: UserId): Promise<UserRecord | null> {
    const [row] = await this.sql.query<UserRecord>(`SELECT ${VIEW_COLUMNS}, password_hash FROM users WHERE id = $1`, [id]);
    return row ?? null;
  }

  async findById(id: UserId): Promise<UserView | null> {
    const [row] = await this.sql.query<UserView>(`SELECT ${VIEW_COLUMNS} FROM users WHERE id = $1`, [id]);
    return row ?? null;
  }

  /** The ids among `ids` that exist. */
  async existing(ids: readonly UserId[]): Promise<Set<UserId>> {
    const rows = await this.sql.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::uuid[])', [
      [...ids],
    ]);
    return new Set(rows.map((r) => r.id));
  }

  /** A page of everyone but `excludeId`, by username, after `after`; `next_after` when there are more. */
  async directory(after: string | null, limit: number, excludeId: UserId): Promise<{ users: UserView[]; next_after: string | null }> {
    const rows = await this.sql.query<UserView>(
      `SELECT ${VIEW_COLUMNS} FROM users WHERE ($1::text IS NULL OR username > $1) AND id <> $2 ORDER BY username LIMIT $3`,
      [after?.toLowerCase() ?? null, excludeId, limit + 1],
    );
    const users = rows.slice(0, limit);
    return { users, next_after: rows.length > limit ? users.at(-1)!.username : null };
  }

  /**
   * Users whose username or display name contains `query` (case-insensitive),
   * those it starts with first. Both columns have trigram indexes (migration
   * 006), which serve `LIKE '%…%'` from three characters; a shorter query
   * matches only at the start, which the indexes serve too, rather than scan
   * every user for what one or two letters match anywhere.
   */
  async search(query: string, limit: number, excludeId: UserId): Promise<UserView[]> {
    const text = escapeLike(query.toLowerCase());
    const prefix = text + '%';
    const pattern = [...query].length >= MIN_ANYWHERE_CHARS ? '%' + prefix : prefix;
    return this.sql.query<UserView>(
      `SELECT ${VIEW_COLUMNS} FROM users
        WHERE (username LIKE $1 OR lower(display_name) LIKE $1) AND id <> $2
        ORDER BY (username LIKE $3 OR lower(display_name) LIKE $3) DESC, username
        LIMIT $4`,
      [pattern, excludeId, prefix, limit],
    );
  }
}

/** A trigram index serves a match anywhere from this many characters (a trigram). */
const MIN_ANYWHERE_CHARS = 3;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
