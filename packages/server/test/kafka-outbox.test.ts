import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { EVENT_TOPICS, type EventEnvelope } from '@parley/protocol';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { connect, createConversation, register, sendMessage, startServer, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { spawnInstance, type Instance } from './support/processes.ts';
import { TestSocket } from './support/test-socket.ts';

/**
 * The outbox relayed to a real Kafka broker (scripts/kafka.sh; .ci/run starts
 * one and sets TEST_KAFKA_BROKERS). Instances are in-process servers sharing
 * one PostgreSQL database; every test uses its own topic prefix, so it reads
 * only its own events from a broker other runs used too.
 */
const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const KAFKA_SH = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));
const run = promisify(execFile);

interface Seen {
  topic: string;
  partition: number;
  key: string;
  headers: Record<string, string>;
  envelope: EventEnvelope;
}

/** Reads the given topics from the beginning, collecting every record, until closed. */
async function collect(brokers: string[], topics: string[]): Promise<{ records: Seen[]; close(): Promise<void> }> {
  const consumer = new Consumer({
    groupId: `test-${crypto.randomUUID()}`,
    clientId: 'kafka-outbox-test',
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
    autocreateTopics: true,
    timeout: 5_000,
  });
  const records: Seen[] = [];
  const stream = await consumer.consume({ topics, mode: 'earliest', autocommit: false, maxWaitTime: 200 });
  stream.on('data', (m) => {
    records.push({
      topic: m.topic,
      partition: m.partition,
      key: m.key!,
      headers: Object.fromEntries(m.headers),
      envelope: JSON.parse(m.value!) as EventEnvelope,
    });
  });
  stream.on('error', () => {});
  return {
    records,
    async close() {
      await stream.close().catch(() => {});
      await consumer.close(true).catch(() => {});
    },
  };
}

/** The message.created events of the outbox, as committed: event id → (conversation, seq). */
async function committedMessages(db: TestDatabase['db']): Promise<Map<string, { key: string; seq: number }>> {
  const rows = await db.query<{ event_id: string; key: string; seq: number }>(
    `SELECT event_id, key, (payload->>'seq')::int AS seq FROM outbox WHERE type = 'message.created'`,
  );
  return new Map(rows.map((r) => [r.event_id, { key: r.key, seq: r.seq }]));
}

/** Checks that Kafka holds every committed message event exactly `once` (or at least once), in seq order per key. */
function expectRelayed(records: Seen[], committed: Map<string, { key: string; seq: number }>, prefix: string, exactlyOnce: boolean) {
  const messages = records.filter((r) => r.topic === `${prefix}messages`);
  const counts = new Map<string, number>();
  for (const r of messages) counts.set(r.envelope.event_id, (counts.get(r.envelope.event_id) ?? 0) + 1);
  expect([...counts.keys()].sort()).toEqual([...committed.keys()].sort());
  if (exactlyOnce) expect([...counts.values()].every((n) => n === 1)).toBe(true);
  // Per key, first occurrences in partition order are the committed seqs ascending, without gaps.
  const byKey = new Map<string, number[]>();
  const first = new Set<string>();
  for (const r of messages) {
    if (first.has(r.envelope.event_id)) continue;
    first.add(r.envelope.event_id);
    const list = byKey.get(r.key) ?? [];
    list.push((r.envelope.payload as { seq: number }).seq);
    byKey.set(r.key, list);
  }
  for (const [key, seqs] of byKey) {
    const expected = [...committed.values()].filter((c) => c.key === key).map((c) => c.seq).sort((a, b) => a - b);
    expect(seqs, `order of conversation ${key}`).toEqual(expected);
  }
}

async function metric(server: TestServer, name: string): Promise<number> {
  const metric = server.parley.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values[0]?.value ?? NaN;
}

/** The instance holding the relay lease, once one does. */
async function holderOf(servers: TestServer[]): Promise<TestServer> {
  return (await eventually(() => servers.find((s) => s.parley.relay.stats.holding) ?? false, { timeoutMs: 10_000 })) as TestServer;
}

const enabled = BROKERS.length > 0 && TEST_DATABASE_URL !== '';
const maybe = enabled ? describe : describe.skip;

maybe(enabled ? 'outbox relayed to Kafka' : 'outbox relayed to Kafka (skipped: needs Kafka at TEST_KAFKA_BROKERS and TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  const opened: Array<{ close(): unknown }> = [];
  const track = <T extends { close(): unknown }>(x: T): T => (opened.push(x), x);

  beforeAll(async () => {
    database = await postgresDatabase();
  });
  afterEach(async () => {
    for (const x of opened.splice(0).reverse()) await Promise.resolve(x.close()).catch(() => {});
  });
  afterAll(async () => {
    await database?.drop();
  });

  const instance = (brokers: string[], prefix: string) =>
    startServer(database.db, {
      env: { KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, OUTBOX_LEASE_TTL: '2', INSTANCE_ID: `i-${crypto.randomUUID().slice(0, 8)}` },
    }).then(track);
  const newPrefix = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;

  /** Two users per conversation; each conversation's sender alternates between sockets on both instances. */
  async function setUp(servers: TestServer[], conversations: number) {
    const rooms: Array<{ id: string; sockets: TestSocket[] }> = [];
    for (let i = 0; i < conversations; i++) {
      const [a, b] = [await register(servers[0]!.url), await register(servers[1 % servers.length]!.url)] as [TestUser, TestUser];
      const conv = await createConversation(servers[0]!.url, a, [b]);
      const sockets = [track(await connect(servers[0]!, a)), track(await connect(servers[1 % servers.length]!, b))];
      rooms.push({ id: conv.id, sockets });
    }
    return rooms;
  }

  it('relays a burst of sends over two instances: every committed message once per event_id, in seq order per conversation; a refused send has no event', async () => {
    const prefix = newPrefix();
    const servers = [await instance(BROKERS, prefix), await instance(BROKERS, prefix)];
    const rooms = await setUp(servers, 4);
    const outsider = await register(servers[1]!.url);
    const outsiderSocket = track(await connect(servers[1]!, outsider));

    const acks = await Promise.all(
      Array.from({ length: 160 }, (_, i) => {
        const room = rooms[i % rooms.length]!;
        return sendMessage(room.sockets[i % 2]!, room.id, `burst ${i}`);
      }),
    );
    expect(acks.every((a) => a.type === 'ack')).toBe(true);
    const refused = await sendMessage(outsiderSocket, rooms[0]!.id, 'not a member', 'refused-send');
    expect(refused).toMatchObject({ type: 'error', code: 'conversation_not_found' });

    const committed = await committedMessages(database.db);
    expect(committed.size).toBe(160);
    const consumer = track(await collect(BROKERS, EVENT_TOPICS.map((t) => prefix + t)));
    await eventually(() => expect(consumer.records.filter((r) => r.topic === `${prefix}messages`).length).toBeGreaterThanOrEqual(160), { timeoutMs: 30_000, intervalMs: 100 });
    // Nothing more arrives (a duplicate would show here).
    await eventually(async () => expect(await metric(servers[0]!, 'parley_outbox_backlog')).toBe(0), { timeoutMs: 10_000 });
    expectRelayed(consumer.records, committed, prefix, true);
    expect(consumer.records.some((r) => JSON.stringify(r.envelope).includes('refused-send'))).toBe(false);

    const sample = consumer.records.find((r) => r.topic === `${prefix}messages`)!;
    expect(sample.headers).toEqual({ event_type: 'message.created', schema_version: '1', event_id: sample.envelope.event_id });
    expect(sample.key).toBe((sample.envelope.payload as { conversation_id: string }).conversation_id);
    // The other domains' events went to their own topics, keyed alike.
    const types = new Set(consumer.records.map((r) => `${r.topic.slice(prefix.length)}:${r.envelope.type}`));
    expect(types).toEqual(new Set(['messages:message.created', 'conversations:conversation.created', 'users:user.registered']));
    // Exactly one instance held the lease.
    expect(servers.map((s) => s.parley.relay.stats.holding).filter(Boolean)).toHaveLength(1);
  });

  it('when the relay holder dies, the other instance takes the expired lease over and relays what follows', async () => {
    const prefix = newPrefix();
    const servers = [await instance(BROKERS, prefix), await instance(BROKERS, prefix)];
    const rooms = await setUp(servers, 2);
    const holder = await holderOf(servers);
    const other = servers.find((s) => s !== holder)!;
    const otherSockets = rooms.map((r) => r.sockets[servers.indexOf(other)]!);

    for (let i = 0; i < 20; i++) expect((await sendMessage(otherSockets[i % 2]!, rooms[i % 2]!.id, `before ${i}`)).type).toBe('ack');
    // Its relay stops without giving the lease up, as when the process is killed; its sends still work.
    await holder.parley.relay.stop({ release: false });
    const holderSockets = rooms.map((r) => r.sockets[servers.indexOf(holder)]!);
    for (let i = 0; i < 20; i++) {
      const sockets = i % 2 === 0 ? otherSockets : holderSockets;
      expect((await sendMessage(sockets[i % 2]!, rooms[i % 2]!.id, `after ${i}`)).type).toBe('ack');
    }

    await eventually(() => expect(other.parley.relay.stats.holding).toBe(true), { timeoutMs: 10_000 });
    const consumer = track(await collect(BROKERS, [`${prefix}messages`]));
    const committed = await committedMessages(database.db);
    const mine = new Map([...committed].filter(([, c]) => rooms.some((r) => r.id === c.key)));
    expect(mine.size).toBe(40);
    await eventually(() => expect(new Set(consumer.records.map((r) => r.envelope.event_id)).size).toBe(40), { timeoutMs: 30_000, intervalMs: 100 });
    expectRelayed(consumer.records, mine, prefix, false);
  });

  it('when the relay holder process is SIGKILLed while sends flow, the other process takes the lease over: Kafka gets every committed message, in seq order per conversation', async () => {
    const prefix = newPrefix();
    const env = { DATABASE_URL: database.url!, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, OUTBOX_LEASE_TTL: '2' };
    const tag = crypto.randomUUID().slice(0, 8);
    const procs = await Promise.all(['p', 'q'].map((id) => spawnInstance({ ...env, INSTANCE_ID: `${id}-${tag}` })));
    track({ close: () => procs.forEach((p) => p.kill('SIGKILL')) });
    const leaseTaken = (p: Instance) => p.logs.some((l) => l.includes('outbox relay lease taken'));
    const holder = (await eventually(() => procs.find(leaseTaken) ?? false, { timeoutMs: 15_000 })) as Instance;
    const survivor = procs.find((p) => p !== holder)!;

    const rooms: Array<{ id: string; onHolder: TestSocket; onSurvivor: TestSocket }> = [];
    for (let i = 0; i < 3; i++) {
      const [a, b] = [await register(holder.url), await register(survivor.url)] as [TestUser, TestUser];
      const conv = await createConversation(holder.url, a, [b]);
      rooms.push({ id: conv.id, onHolder: track(await TestSocket.open(holder.wsUrl, a.token)), onSurvivor: track(await TestSocket.open(survivor.wsUrl, b.token)) });
    }
    for (let i = 0; i < 30; i++) expect((await sendMessage(rooms[i % 3]!.onHolder, rooms[i % 3]!.id, `holder ${i}`)).type).toBe('ack');
    // The survivor's sockets keep sending; the holder dies part-way, with
    // events committed that it has not relayed (or relayed but not marked).
    let sent = 0;
    const flow = (async () => {
      for (; sent < 90; sent++) expect((await sendMessage(rooms[sent % 3]!.onSurvivor, rooms[sent % 3]!.id, `survivor ${sent}`)).type).toBe('ack');
    })();
    await eventually(() => sent >= 15, { timeoutMs: 30_000, intervalMs: 5 });
    holder.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    await flow;

    await eventually(() => expect(leaseTaken(survivor)).toBe(true), { timeoutMs: 15_000 });
    const committed = await committedMessages(database.db);
    const mine = new Map([...committed].filter(([, c]) => rooms.some((r) => r.id === c.key)));
    expect(mine.size).toBe(120);
    const consumer = track(await collect(BROKERS, [`${prefix}messages`]));
    await eventually(() => expect(new Set(consumer.records.map((r) => r.envelope.event_id)).size).toBe(120), { timeoutMs: 30_000, intervalMs: 100 });
    // At least once: a batch the holder published but had not marked comes again, as the same event_id.
    expectRelayed(consumer.records, mine, prefix, false);
  }, 120_000);

  describe('with a private broker stopped mid-stream', () => {
    // Its own ports and data folder, so stopping it disturbs no other test.
    const port = 19192 + (process.pid % 50) * 2;
    let stateDir = '';
    const kafka = (command: 'start' | 'stop') =>
      run('bash', [KAFKA_SH, command], {
        env: { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_STATE_DIR: stateDir },
        timeout: 180_000,
      });
    const brokers = [`127.0.0.1:${port}`];

    beforeAll(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'parley-kafka-test-'));
      await kafka('start');
    }, 200_000);
    afterAll(async () => {
      if (!stateDir) return;
      await kafka('stop').catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    }, 60_000);

    it('keeps accepting sends while Kafka is down, reports the backlog, and drains it when Kafka returns: nothing lost', async () => {
      const prefix = newPrefix();
      const servers = [await instance(brokers, prefix), await instance(brokers, prefix)];
      const rooms = await setUp(servers, 3);
      const send = async (label: string, n: number) => {
        const acks = await Promise.all(
          Array.from({ length: n }, (_, i) => sendMessage(rooms[i % 3]!.sockets[i % 2]!, rooms[i % 3]!.id, `${label} ${i}`)),
        );
        expect(acks.map((a) => a.type)).toEqual(Array(n).fill('ack'));
      };
      await send('up', 30);
      await eventually(async () => expect(await metric(servers[0]!, 'parley_outbox_backlog')).toBe(0), { timeoutMs: 30_000, intervalMs: 100 });

      await kafka('stop');
      const holder = await holderOf(servers);
      const errorsBefore = holder.parley.relay.stats.errors;
      await send('down', 60);
      // The relay fails and retries, keeping its lease; the backlog is visible on any instance.
      await eventually(() => expect(holder.parley.relay.stats.errors).toBeGreaterThan(errorsBefore), { timeoutMs: 60_000, intervalMs: 100 });
      expect(await metric(servers[1]!, 'parley_outbox_backlog')).toBeGreaterThanOrEqual(60);
      expect(await metric(servers[1]!, 'parley_outbox_oldest_unrelayed_seconds')).toBeGreaterThan(0);
      expect(await metric(holder, 'parley_outbox_relay_errors_total')).toBeGreaterThan(errorsBefore);
      expect(servers.map((s) => s.parley.relay.stats.holding)).toEqual(servers.map((s) => s === holder));
      await send('still down', 30);

      await kafka('start');
      await eventually(async () => expect(await metric(servers[0]!, 'parley_outbox_backlog')).toBe(0), { timeoutMs: 90_000, intervalMs: 200 });
      const consumer = track(await collect(brokers, [`${prefix}messages`]));
      const committed = await committedMessages(database.db);
      const mine = new Map([...committed].filter(([, c]) => rooms.some((r) => r.id === c.key)));
      expect(mine.size).toBe(120);
      await eventually(() => expect(new Set(consumer.records.map((r) => r.envelope.event_id)).size).toBe(120), { timeoutMs: 30_000, intervalMs: 100 });
      expectRelayed(consumer.records, mine, prefix, false);
    }, 240_000);
  });
});
