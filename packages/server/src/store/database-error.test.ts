import { describe, expect, it } from 'vitest';
import { DatabaseError, DatabaseUnavailable, sanitizeDatabaseError } from './database-error.ts';

const errno = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code });
const server = (code: string) => Object.assign(new Error('server says no'), { code, severity: 'FATAL' });

describe('sanitizeDatabaseError', () => {
  it('reads a refused, reset, terminated or not-yet-ready database as unavailable, naming no host', () => {
    const cases: Array<[unknown, string]> = [
      [errno('ECONNREFUSED'), 'ECONNREFUSED'],
      [errno('ECONNRESET'), 'ECONNRESET'],
      [new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], ''), 'ECONNREFUSED'],
      [server('57P01'), '57P01'], // admin_shutdown: terminating connection due to administrator command
      [server('57P03'), '57P03'], // cannot_connect_now: the database system is starting up
      [server('08006'), '08006'], // connection_failure
      [server('53300'), '53300'], // too_many_connections
      [new Error('Connection terminated unexpectedly'), 'connection lost'],
      [new Error('timeout exceeded when trying to connect'), 'connection lost'],
    ];
    for (const [err, reason] of cases) {
      const out = sanitizeDatabaseError(err);
      expect(out).toBeInstanceOf(DatabaseUnavailable);
      expect((out as DatabaseUnavailable).reason).toBe(reason);
      expect((out as Error).message).not.toContain('10.0.0.5');
    }
  });

  it('leaves statement errors and everything else as they were', () => {
    expect(sanitizeDatabaseError(Object.assign(new Error('dup'), { code: '23505', severity: 'ERROR', constraint: 'x_key' }))).toBeInstanceOf(DatabaseError);
    const plain = new Error('something else');
    expect(sanitizeDatabaseError(plain)).toBe(plain);
    // Without a severity, a SQLSTATE-looking code is not the server's.
    expect(sanitizeDatabaseError(Object.assign(new Error('x'), { code: '57P01' }))).not.toBeInstanceOf(DatabaseUnavailable);
  });
});
