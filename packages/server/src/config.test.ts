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

  it('reads the event stream settings: no Kafka by default, the outbox always on unless measured', () => {
    expect(loadConfig({}).events).toEqual({
      outbox: true,
      kafkaBrokers: [],
      kafkaTopicPrefix: 'parley.',
      kafkaClientId: 'parley',
      relayBatch: 500,
      retention: 86_400,
      leaseTtl: 10,
    });
    const config = loadConfig({
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      KAFKA_TOPIC_PREFIX: 'acme-',
      OUTBOX: 'off',
      OUTBOX_RELAY_BATCH: '50',
      OUTBOX_RETENTION: '3600',
      OUTBOX_LEASE_TTL: '3',
    });
    expect(config.events).toMatchObject({ outbox: false, kafkaBrokers: ['k1:9092', 'k2:9093'], kafkaTopicPrefix: 'acme-', relayBatch: 50, retention: 3600, leaseTtl: 3 });
    expect(() => loadConfig({ KAFKA_BROKERS: 'localhost' })).toThrow(/KAFKA_BROKERS/);
    expect(() => loadConfig({ KAFKA_TOPIC_PREFIX: 'a/b' })).toThrow(/KAFKA_TOPIC_PREFIX/);
    expect(() => loadConfig({ OUTBOX: 'no' })).toThrow(/OUTBOX must be "on" or "off"/);
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
