import { performance } from 'node:perf_hooks';
import type { BenchClient } from './client.ts';
import { waitFor, type Deadline, type WaitOutcome } from './deadline.ts';
import type { DeliveryTracker } from './tracker.ts';

/** One sending socket and the conversation it writes to. */
export interface SendLane {
  pair: number;
  client: BenchClient;
  conversationId: string;
}

export interface PhaseOptions {
  lanes: SendLane[];
  tracker: DeliveryTracker;
  deadline: Deadline;
  /** Messages per lane. */
  perLane: number;
  /** Prefix of request ids / client_msg_ids, unique per phase. */
  prefix: string;
  measured: boolean;
  /** Closed loop: most un-acked sends per lane. */
  window: number;
  /** Open loop: messages per second over all lanes (0 = closed loop). */
  rate: number;
  /** Give up when nothing has been acked or delivered for this long. */
  stallMs: number;
  /** Give up at once when this returns true (e.g. the server process exited). */
  abort?: () => boolean;
}

export interface PhaseResult {
  startedAt: number;
  /** When the last send was written. */
  sendsDoneAt: number;
  sent: number;
  /** Outcome of waiting for every ack (or error). */
  acks: WaitOutcome;
  /** Outcome of then waiting for every delivery to the recipients. */
  deliveries: WaitOutcome;
  /** Open loop only: the most a send was written after its scheduled time, ms. */
  maxScheduleLagMs: number;
}

/**
 * Sends `perLane` messages on every lane, closed-loop (at most `window`
 * un-acked per lane) or open-loop at a fixed total `rate`, then waits for all
 * acks and all deliveries. In open loop a message's latency is measured from
 * when it was scheduled, so a sender that falls behind is not hidden
 * (coordinated omission).
 */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const { lanes, tracker } = o;
  const sent = new Array<number>(lanes.length).fill(0);
  const inFlight = new Array<number>(lanes.length).fill(0);
  const laneOf = new Map(lanes.map((l, i) => [l.pair, i]));
  const ids: string[] = [];
  let total = 0;
  let maxLag = 0;
  let sendsDoneAt = 0;
  let stopped = false;

  const sendOne = (i: number, t0: number) => {
    const lane = lanes[i]!;
    const n = sent[i]!;
    const id = `${o.prefix}${lane.pair}-${n}`;
    sent[i] = n + 1;
    inFlight[i]!++;
    total++;
    ids.push(id);
    tracker.track(id, lane.pair, t0, o.measured);
    if (total === lanes.length * o.perLane) sendsDoneAt = performance.now();
    if (!lane.client.open) return; // counted as sent: shows up as un-acked and missing
    lane.client.send({
      type: 'send_message',
      id,
      conversation_id: lane.conversationId,
      message: { type: 'text', text: `bench ${n}`, client_msg_id: id, sent_at: new Date().toISOString() },
    });
  };

  const pump = (i: number) => {
    while (!stopped && inFlight[i]! < o.window && sent[i]! < o.perLane) sendOne(i, performance.now());
  };

  const startedAt = performance.now();
  if (o.rate > 0) {
    tracker.onSettled = (pair) => void inFlight[laneOf.get(pair)!]!--;
    const interval = (1000 * lanes.length) / o.rate; // ms between two sends of one lane
    const stagger = 1000 / o.rate; // lanes start evenly spread over one interval
    const dueAt = (i: number) => startedAt + i * stagger + sent[i]! * interval;
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (o.deadline.expired || o.abort?.()) return resolve();
        const now = performance.now();
        let next = Infinity;
        for (let i = 0; i < lanes.length; i++) {
          while (sent[i]! < o.perLane && dueAt(i) <= now) {
            const due = dueAt(i);
            maxLag = Math.max(maxLag, now - due);
            sendOne(i, due);
          }
          if (sent[i]! < o.perLane) next = Math.min(next, dueAt(i));
        }
        if (next === Infinity) return resolve();
        setTimeout(tick, Math.max(0, next - performance.now()));
      };
      tick();
    });
  } else {
    tracker.onSettled = (pair) => {
      const i = laneOf.get(pair);
      if (i === undefined) return;
      inFlight[i]!--;
      pump(i);
    };
    for (let i = 0; i < lanes.length; i++) pump(i);
  }

  const expected = lanes.length * o.perLane;
  // Settling and delivery are monotonic, so each scan resumes where the last one stopped.
  let settledCount = 0;
  const acks = await waitFor(
    () => {
      while (settledCount < ids.length && isSettled(tracker, ids[settledCount]!)) settledCount++;
      return total === expected && settledCount === ids.length;
    },
    { progress: () => tracker.progress, stallMs: o.stallMs, deadline: o.deadline, abort: o.abort },
  );
  stopped = true;
  tracker.onSettled = () => {};
  let deliveredCount = 0;
  const deliveries =
    acks === 'done'
      ? await waitFor(
          () => {
            while (deliveredCount < ids.length && tracker.records.get(ids[deliveredCount]!)!.deliveries > 0) deliveredCount++;
            return deliveredCount === ids.length;
          },
          { progress: () => tracker.progress, stallMs: o.stallMs, deadline: o.deadline, abort: o.abort },
        )
      : acks;
  return { startedAt, sendsDoneAt, sent: total, acks, deliveries, maxScheduleLagMs: maxLag };
}

function isSettled(tracker: DeliveryTracker, id: string): boolean {
  const r = tracker.records.get(id)!;
  return r.ackedAt !== null || r.failed !== null;
}
