import type { Sql } from '../store/database.ts';

/**
 * A named lease in PostgreSQL (table `leases`) so that exactly one instance
 * does a job at a time. The holder renews it before it expires; when the
 * holder dies, the lease expires and the next instance to ask takes it over.
 * Expiry uses the database's clock only, so instances' clocks do not matter.
 */
export class Lease {
  constructor(
    private readonly sql: Sql,
    readonly name: string,
    readonly holder: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Takes or renews the lease; true when this holder has it for the next `ttlSeconds`. */
  async hold(): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::double precision))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
       RETURNING holder`,
      [this.name, this.holder, this.ttlSeconds],
    );
    return rows.length === 1;
  }

  /** Gives the lease up (a clean stop), so another instance need not wait for it to expire. */
  async release(): Promise<void> {
    await this.sql.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [this.name, this.holder]);
  }
}
