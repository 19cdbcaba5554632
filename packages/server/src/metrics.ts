import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RedisBusStats } from './bus/redis-bus.ts';
import type { RelayStats } from './events/outbox-relay.ts';
import type { PoolStats } from './store/database.ts';
import type { RedisMemory } from './redis-memory.ts';

/**
 * Prometheus metrics of one instance, on its own registry (several instances
 * may live in one test process).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesSent = new Counter({
    name: 'parley_messages_sent_total',
    help: 'Messages stored (retries of a stored client_msg_id excluded).',
    registers: [this.registry],
  });
  readonly frameSeconds = new Histogram({
    name: 'parley_ws_frame_duration_seconds',
    help: 'Time from decoding a client frame to its reply, by frame type.',
    labelNames: ['type'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  /** The message writer's group commit (messaging/message-writer.ts): what a send waits for, and what a batch costs. */
  readonly messageWriteWaitSeconds = new Histogram({
    name: 'parley_message_write_wait_seconds',
    help: 'From a send reaching the message writer to the start of the batch that stores it: the wait for the batch before it in its lane.',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly messageWriteSeconds = new Histogram({
    name: 'parley_message_write_batch_seconds',
    help: 'Time to store one batch of sends (one statement and its commit; a retry or split included).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly messageWriteBatchSize = new Histogram({
    name: 'parley_message_write_batch_size',
    help: 'Sends per batch the message writer stores together.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });

  /** Observes one batch of the message writer. */
  messageBatch(waits: readonly number[], seconds: number): void {
    for (const wait of waits) this.messageWriteWaitSeconds.observe(wait);
    this.messageWriteSeconds.observe(seconds);
    this.messageWriteBatchSize.observe(waits.length);
  }

  readonly deliverySeconds = new Histogram({
    name: 'parley_delivery_seconds',
    help: "From a message's created_at (the database clock when its transaction started) to its hand-over to this instance's sockets (a large room's: when its batch is written), once per payload received; includes the commit, the bus, and any clock offset between the database host and this one.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly frames = new Counter({
    name: 'parley_ws_frames_total',
    help: 'Client frames handled, by frame type ("undecoded" when the frame could not be read) and outcome ("ok" or the error code answered).',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'parley_http_requests_total',
    help: 'REST requests answered, by method, route pattern ("unmatched" for none) and status class (2xx, 4xx, 5xx).',
    labelNames: ['method', 'route', 'status_class'],
    registers: [this.registry],
  });
  readonly handshakes = new Counter({
    name: 'parley_ws_handshakes_total',
    help: 'WebSocket upgrades, by result: accepted, awaiting_auth (opened without credentials, to send an auth frame) or the error code refused with.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'parley_rate_limited_total',
    help: 'Requests, frames and handshakes refused by a rate limit, by scope (limit name, frame type, "connections" or "unauthenticated").',
    labelNames: ['scope'],
    registers: [this.registry],
  });
  readonly serverCloses = new Counter({
    name: 'parley_ws_server_closes_total',
    help: 'Sockets the server closed, by reason (close code name: slowConsumer, rateLimited, unauthenticated, serviceRestart, ...; heartbeatMissed when terminated).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly dependencyUnavailable = new Counter({
    name: 'parley_dependency_unavailable_total',
    help: 'Requests and frames answered `unavailable` because a dependency was unreachable, by dependency (postgres).',
    labelNames: ['dependency'],
    registers: [this.registry],
  });

  readonly uploads = new Counter({
    name: 'parley_uploads_total',
    help: 'Upload creations (tus POST), by result: accepted, or the error code refused with (payload_too_large, quota_exceeded, rate_limited, conversation_not_found, validation_failed). Are people refused uploads, and why?',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'parley_upload_bytes_total',
    help: 'Bytes of uploads stored by this instance (each kept part of a tus request). Upload traffic, and whether it flows at all.',
    registers: [this.registry],
  });
  readonly attachmentsProcessed = new Counter({
    name: 'parley_attachments_processed_total',
    help: 'Files whose processing ended on this instance, by status: clean, blocked (malware or a type not allowed), failed (unreadable, or errors past the retries).',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly attachmentProcessingSeconds = new Histogram({
    name: 'parley_attachment_processing_seconds',
    help: "From an upload's last byte to its final state (type check, scan, image clean-up), by the database's clock; includes waiting while the scanner is down.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });
  /** Per frame type, the labelled series a handled frame updates (looked up once, not hashed per frame). */
  private readonly frameSeries = new Map<string, { seconds: { observe(v: number): void }; ok: { inc(): void } }>();

  /** A client frame handled without error: its duration and the `ok` count of its type. */
  frameHandled(type: string, seconds: number): void {
    let series = this.frameSeries.get(type);
    if (series === undefined) {
      series = { seconds: this.frameSeconds.labels({ type }), ok: this.frames.labels({ type, outcome: 'ok' }) };
      this.frameSeries.set(type, series);
    }
    series.seconds.observe(seconds);
    series.ok.inc();
  }

  constructor(sources: {
    connections: () => number;
    channels: () => number;
    /** Sockets opened without credentials that have not sent their `auth` frame yet. */
    unauthenticated: () => number;
    /** Whether the database answers a trivial statement now (bounded by the connect timeout). */
    databaseReachable: () => Promise<boolean>;
    /** The PostgreSQL pool's counts; absent on PGlite. */
    databasePool?: () => PoolStats;
    bus?: RedisBusStats;
    /** The outbox relay, when a sink (Kafka) is configured. */
    outbox?: { relay: RelayStats; backlog: () => Promise<{ backlog: number; oldestSeconds: number }> };
    /** Files waiting for processing, read from the attachments table (every instance answers alike). */
    attachmentsBacklog?: () => Promise<{ pending: number; oldestSeconds: number }>;
    /** Redis' memory as last polled (null before the first reading), when REDIS_URL is set. */
    redisMemory?: () => RedisMemory | null;
  }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    // Exported at 0 from the start, so an alert on its increase has a series to read.
    this.dependencyUnavailable.inc({ dependency: 'postgres' }, 0);
    this.uploadBytes.inc(0);
    for (const status of ['clean', 'blocked', 'failed']) this.attachmentsProcessed.inc({ status }, 0);
    const attachmentsBacklog = sources.attachmentsBacklog;
    if (attachmentsBacklog) {
      // As with the outbox: with the database unreachable they keep their last value.
      // One query serves both gauges of a scrape (they are collected together).
      let reading: Promise<{ pending: number; oldestSeconds: number } | null> | null = null;
      const read = () =>
        (reading ??= attachmentsBacklog()
          .catch(() => null)
          .finally(() => {
            reading = null;
          }));
      new Gauge({
        name: 'parley_attachments_pending',
        help: 'Files uploaded and waiting for processing (type check, scan), all instances. Grows while clamd is down: files wait, never served unscanned.',
        registers: [this.registry],
        async collect() {
          const backlog = await read();
          if (backlog) this.set(backlog.pending);
        },
      });
      new Gauge({
        name: 'parley_attachments_oldest_pending_seconds',
        help: 'How long the oldest file waiting for processing has waited since its last byte; 0 when none waits. Files stuck pending: the scanner is down or the workers are stuck.',
        registers: [this.registry],
        async collect() {
          const backlog = await read();
          if (backlog) this.set(backlog.oldestSeconds);
        },
      });
    }
    new Gauge({
      name: 'parley_ws_connections',
      help: 'Open authenticated WebSocket connections on this instance.',
      registers: [this.registry],
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'parley_database_up',
      help: '1 when the database answered a trivial statement during this scrape, 0 when it could not be reached.',
      registers: [this.registry],
      async collect() {
        this.set((await sources.databaseReachable()) ? 1 : 0);
      },
    });
    const pool = sources.databasePool;
    if (pool) {
      new Gauge({
        name: 'parley_database_pool_connections',
        help: 'PostgreSQL connections of this instance, by state (idle, busy); at most DATABASE_POOL_SIZE.',
        labelNames: ['state'],
        registers: [this.registry],
        collect() {
          const { total, idle } = pool();
          this.set({ state: 'idle' }, idle);
          this.set({ state: 'busy' }, total - idle);
        },
      });
      new Gauge({
        name: 'parley_database_pool_waiting',
        help: 'Statements waiting for a PostgreSQL connection: every pooled one is busy, or a new one is being opened (each waits at most DATABASE_CONNECT_TIMEOUT).',
        registers: [this.registry],
        collect() {
          this.set(pool().waiting);
        },
      });
    }
    new Gauge({
      name: 'parley_bus_channels',
      help: 'Bus channels this instance listens on.',
      registers: [this.registry],
      collect() {
        this.set(sources.channels());
      },
    });
    new Gauge({
      name: 'parley_ws_unauthenticated_sockets',
      help: 'Sockets opened without credentials, awaiting their auth frame (each holds a per-address slot).',
      registers: [this.registry],
      collect() {
        this.set(sources.unauthenticated());
      },
    });
    const outbox = sources.outbox;
    if (outbox) {
      // Both read the outbox itself, so every instance answers alike, relay or not.
      // With the database unreachable they keep their last value: a failing
      // collect would fail the whole scrape, and the instance would look down.
      const backlog = () => outbox.backlog().catch(() => null);
      new Gauge({
        name: 'parley_outbox_backlog',
        help: 'Outbox events not yet acknowledged by Kafka (grows while Kafka is unreachable).',
        registers: [this.registry],
        async collect() {
          const read = await backlog();
          if (read) this.set(read.backlog);
        },
      });
      new Gauge({
        name: 'parley_outbox_oldest_unrelayed_seconds',
        help: 'Age of the oldest outbox event not yet acknowledged by Kafka; 0 when none waits.',
        registers: [this.registry],
        async collect() {
          const read = await backlog();
          if (read) this.set(read.oldestSeconds);
        },
      });
      new Gauge({
        name: 'parley_outbox_relay_errors_total',
        help: 'Failed relay attempts on this instance (Kafka or the database unreachable); each is retried with backoff.',
        registers: [this.registry],
        collect() {
          this.set(outbox.relay.errors);
        },
      });
      new Gauge({
        name: 'parley_outbox_relayed_total',
        help: 'Outbox events this instance relayed to Kafka.',
        registers: [this.registry],
        collect() {
          this.set(outbox.relay.relayed);
        },
      });
      new Gauge({
        name: 'parley_outbox_relay_holder',
        help: '1 while this instance holds the relay lease (exactly one instance should).',
        registers: [this.registry],
        collect() {
          this.set(outbox.relay.holding ? 1 : 0);
        },
      });
    }
    const redisMemory = sources.redisMemory;
    if (redisMemory) {
      const reading = (name: string, help: string, read: (m: RedisMemory) => number) =>
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            const m = redisMemory();
            if (m) this.set(read(m));
          },
        });
      reading('parley_redis_memory_used_bytes', "Redis' used_memory (INFO memory), polled every 30 s; the same Redis for every instance.", (m) => m.usedBytes);
      reading('parley_redis_maxmemory_bytes', "Redis' maxmemory (INFO memory), polled every 30 s; 0 when Redis has no limit.", (m) => m.maxBytes);
    }
    const bus = sources.bus;
    if (bus) {
      const stat = (name: keyof RedisBusStats, help: string) =>
        new Gauge({
          name: `parley_bus_${name}_total`,
          help,
          registers: [this.registry],
          collect() {
            this.set(bus[name]);
          },
        });
      stat('received', 'Payloads received from Redis from other instances.');
      stat('unrouted', 'Payloads received from Redis for a channel with no local listener.');
      stat('dropped', 'Payloads not published because Redis was unreachable.');
    }
  }
}
