import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';
import { DatabaseUnavailable } from './store/database-error.ts';

const sources = { connections: () => 0, channels: () => 0, unauthenticated: () => 0, databaseReachable: () => Promise.resolve(false) };

describe('Metrics', () => {
  it('still serves the other metrics when the outbox gauges cannot read the database', async () => {
    const metrics = new Metrics({
      ...sources,
      outbox: {
        relay: { errors: 0, relayed: 0, holding: false },
        backlog: () => Promise.reject(new DatabaseUnavailable('ECONNREFUSED')),
      },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('parley_ws_connections 0');
    expect(text).toContain('parley_database_up 0');
    expect(text).toContain('parley_dependency_unavailable_total{dependency="postgres"} 0');
  });
});
