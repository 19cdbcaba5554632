import type { Histogram } from './histogram.ts';

export type WorkerMode = 'fanout' | 'idle' | 'storm';

/** One socket a load worker opens. */
export interface SocketSpec {
  url: string;
  /** Parley access token; absent for the bare-ws ceiling server. */
  token?: string;
  localAddress: string;
  /** Storm: the conversation this socket's user is in. */
  conv?: string;
}

export type WorkerRequest =
  | { op: 'open'; mode: WorkerMode; specs: SocketSpec[]; concurrency: number; timeoutMs: number }
  | { op: 'base'; base: Record<string, number> }
  | { op: 'drop'; jitterMs: number }
  | { op: 'target'; target: Record<string, number> }
  | { op: 'stats' }
  | { op: 'close' };

export interface OpenReply {
  opened: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  connectMs: ReturnType<Histogram['toJSON']>;
}

export interface StormStats {
  /** Sockets that have reconnected (got `ready`) since the drop / finished their sync pages / hold every seq up to the target. */
  ready: number;
  synced: number;
  complete: number;
  /** Wall-clock ms (nowMs) of the last socket to reach each state; 0 when none yet. */
  lastReadyAt: number;
  lastSyncedAt: number;
  lastCompleteAt: number;
  /** Seqs in (base, target] never received, summed over sockets (only meaningful once a target is set). */
  lost: number;
  /** Seqs received more than once on the same logical client. */
  duplicates: number;
  /** `sync` requests sent (one per page). */
  syncPages: number;
  reconnectRetries: number;
  errorFrames: number;
  /** `message` pushes that arrived before the socket's `ready` frame. */
  pushesBeforeReady: number;
  errorSamples: string[];
  /** Drop → `ready`, and first `sync` → last `synced`, per reconnect (ms). */
  readyMs: ReturnType<Histogram['toJSON']>;
  syncMs: ReturnType<Histogram['toJSON']>;
}

export interface WorkerStats {
  pid: number;
  open: number;
  /** Sockets closed by the other side (not by the worker). */
  closedByPeer: number;
  closeCodes: Record<string, number>;
  deliveries: number;
  duplicates: number;
  firstDeliveryAt: number;
  lastDeliveryAt: number;
  latency: ReturnType<Histogram['toJSON']>;
  rssBytes: number;
  heapUsedBytes: number;
  cpuMs: number;
  storm: StormStats | null;
}

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
