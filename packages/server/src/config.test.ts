import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('runs with no configuration: embedded storage, in-process bus, port 8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, databaseUrl: null, redisUrl: null, publicOrigins: [] });
    expect(config.dataDir).toMatch(/data$/);
    expect(Object.isFrozen(config) && Object.isFrozen(config.jwt)).toBe(true);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: 'postgres://x@y/z',
      PUBLIC_ORIGINS: 'https://a.example, https://b.example',
      JWT_ACCESS_TTL: '60',
      WS_SYNC_PAGE_SIZE: '10',
      RATE_LIMIT_SYNC: '100:400',
      RATE_LIMIT_INVITES: '0.5:4',
    });
    expect(config).toMatchObject({
      port: 0,
      databaseUrl: 'postgres://x@y/z',
      publicOrigins: ['https://a.example', 'https://b.example'],
      jwt: { accessTtl: 60 },
      ws: { syncPageSize: 10 },
      limits: { sync: { rate: 100, burst: 400 }, invites: { rate: 0.5, burst: 4 } },
    });
  });

  it('refuses values out of range with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ JWT_ACCESS_TTL: '1.5' })).toThrow(/JWT_ACCESS_TTL/);
  });

  it('counts trusted proxy hops, and refuses the old TRUST_PROXY with what to set instead', () => {
    expect(loadConfig({}).security.trustProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY_HOPS: '2' }).security.trustProxyHops).toBe(2);
    expect(() => loadConfig({ TRUST_PROXY_HOPS: 'yes' })).toThrow(/TRUST_PROXY_HOPS/);
    for (const old of ['true', 'false']) {
      expect(() => loadConfig({ TRUST_PROXY: old })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: old })).toThrow(/TRUST_PROXY_HOPS/);
    }
  });
});
