import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { BenchClient } from './client.ts';
import { nowMs } from './histogram.ts';
import { coresBetween, sampleGroups, type ProcGroup } from './proc.ts';
import { mergeStats, type WorkerPool } from './worker-pool.ts';

/** Sends message k, stamped with the time it was scheduled (so a backed-up sender does not hide latency). */
export interface FanoutSender {
  send(k: number, scheduledAt: number): void;
  acks: number;
  errors: number;
  close(): Promise<void>;
}

/** A Parley group member's extra socket posting `send_message`; counts acks and error frames. */
export async function parleySender(wsUrl: string, token: string, conversationId: string): Promise<FanoutSender> {
  const client = await BenchClient.connect(wsUrl, token);
  const s: FanoutSender = {
    acks: 0,
    errors: 0,
    send(k, at) {
      const id = `f${k}`;
      client.send({ type: 'send_message', id, conversation_id: conversationId, message: { type: 'text', text: `bench:${at}:${k}`, client_msg_id: id } });
    },
    close: () => client.close(),
  };
  client.onFrame((f) => {
    if (f.type === 'ack') s.acks++;
    else if (f.type === 'error') s.errors++;
  });
  return s;
}

/** A ceiling-server client sending a frame shaped (and sized) like Parley's `message` push. */
export async function rawSender(url: string): Promise<FanoutSender> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const conversation = randomUUID();
  const sender = randomUUID();
  const s: FanoutSender = {
    acks: 0,
    errors: 0,
    send(k, at) {
      const id = `f${k}`;
      const message = { type: 'text', text: `bench:${at}:${k}`, client_msg_id: id };
      ws.send(JSON.stringify({ type: 'message', conversation_id: conversation, seq: k + 1, message_id: randomUUID(), sender_id: sender, message, created_at: new Date().toISOString() }));
      s.acks++;
    },
    close: async () => ws.close(),
  };
  return s;
}

export interface PhaseOutcome {
  outcome: 'done' | 'stalled' | 'deadline';
  sent: number;
  acks: number;
  errors: number;
  expected: number;
  deliveries: number;
  duplicates: number;
  closedByPeer: number;
  durationS: number;
  deliveriesPerS: number;
  sendRate: number;
  latency: ReturnType<ReturnType<typeof mergeStats>['latency']['summary']>;
  cores: Record<string, number>;
}

/**
 * Open loop: `messages` sends at `rate`/s in total, round-robin over the
 * senders; then waits until every recipient socket has every message (or no
 * delivery for `stallMs`, or `untilMs` passes). Deliveries/s is counted from
 * the first send to the last delivery.
 */
export async function runFanoutPhase(opts: {
  senders: FanoutSender[];
  pool: WorkerPool;
  messages: number;
  rate: number;
  recipients: number;
  groups: ProcGroup[];
  stallMs: number;
  untilMs: number;
}): Promise<PhaseOutcome> {
  const { senders, pool, messages, rate } = opts;
  const before = sampleGroups(opts.groups);
  const start = nowMs() + 50;
  for (let k = 0; k < messages; k++) {
    const at = start + (k * 1000) / rate;
    const wait = at - nowMs();
    if (wait > 1) await sleep(wait);
    senders[k % senders.length]!.send(k, at);
  }
  const sentDoneAt = nowMs();
  const expected = messages * opts.recipients;
  let outcome: PhaseOutcome['outcome'] = 'done';
  let last = -1;
  let lastMoved = Date.now();
  let merged = mergeStats(await pool.stats());
  while (merged.deliveries < expected) {
    if (Date.now() > opts.untilMs) {
      outcome = 'deadline';
      break;
    }
    if (merged.deliveries !== last) {
      last = merged.deliveries;
      lastMoved = Date.now();
    } else if (Date.now() - lastMoved > opts.stallMs) {
      outcome = 'stalled';
      break;
    }
    await sleep(200);
    merged = mergeStats(await pool.stats());
  }
  const cores = coresBetween(before, sampleGroups(opts.groups));
  const durationS = ((merged.lastDeliveryAt || nowMs()) - start) / 1000;
  return {
    outcome,
    sent: messages,
    acks: senders.reduce((n, s) => n + s.acks, 0),
    errors: senders.reduce((n, s) => n + s.errors, 0),
    expected,
    deliveries: merged.deliveries,
    duplicates: merged.duplicates,
    closedByPeer: merged.closedByPeer,
    durationS,
    deliveriesPerS: merged.deliveries / durationS,
    sendRate: messages / ((sentDoneAt - start) / 1000),
    latency: merged.latency.summary(),
    cores,
  };
}
