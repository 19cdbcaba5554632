import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserId } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';
import type { Audit } from '../audit.ts';

/**
 * Server operators: the first registered account (whoever set the server up)
 * plus the usernames in ADMIN_USERS. Asked on every operator request, so a
 * change of ADMIN_USERS takes effect on restart and nothing is cached to go stale.
 */
export class Operators {
  constructor(
    private readonly sql: Sql,
    private readonly adminUsers: readonly string[],
  ) {}

  async isOperator(userId: UserId): Promise<boolean> {
    const [row] = await this.sql.query<{ username: string; first: boolean }>(
      `SELECT username, id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1) AS first FROM users WHERE id = $1`,
      [userId],
    );
    return !!row && (row.first || this.adminUsers.includes(row.username.toLowerCase()));
  }

  /** An onRequest hook after `requireUser`: non-operators get 403 `operator_only`, audited. */
  guard(audit: Audit) {
    return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      if (await this.isOperator(req.userId)) return;
      audit.event('permission_denied', { user_id: req.userId, scope: 'operator', route: req.routeOptions.url ?? null });
      throw new AppError('operator_only', 'server operators only');
    };
  }
}
