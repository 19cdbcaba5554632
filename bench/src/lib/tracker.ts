import type { ServerFrame } from '@parley/protocol';

/** One message the benchmark sent, keyed by its `client_msg_id` (also used as the request `id`). */
export interface SendRecord {
  pair: number;
  /** When it was sent (or, open-loop, when it was scheduled to be), performance.now() ms. */
  t0: number;
  measured: boolean;
  ackedAt: number | null;
  /** Error code when the server answered the send with an `error` frame. */
  failed: string | null;
  /** `message` pushes of it seen on the recipient's socket. */
  deliveries: number;
  /** `message` pushes of it seen on the sender's own socket (the sender's other devices would get these). */
  echoes: number;
}

export type Role = 'sender' | 'recipient';

/**
 * Matches every frame that comes back to what was sent: acks and errors on the
 * sender's socket, `message` pushes on the recipient's. Counts whatever breaks
 * the contract (errors, duplicates, unknown frames, seq gaps) instead of
 * throwing, so a misbehaving server is reported, not crashed into.
 */
export class DeliveryTracker {
  readonly records = new Map<string, SendRecord>();
  readonly ackLatencies: number[] = [];
  readonly deliveryLatencies: number[] = [];
  /** Total `error` frames, by code, and the first few verbatim. */
  readonly errors = { count: 0, byCode: {} as Record<string, number>, samples: [] as string[] };
  /** Acks the server marked `duplicate: true` (it thought it had seen the client_msg_id before). */
  serverDuplicateAcks = 0;
  /** A second ack for the same request id. */
  repeatedAcks = 0;
  /** Acks / `message` pushes that match nothing the benchmark sent. */
  unknownFrames = 0;
  /** A `message` push on the recipient whose seq was not the previous seq + 1. */
  seqViolations = 0;
  readonly seqViolationSamples: string[] = [];
  lastAckAt = 0;
  lastDeliveryAt = 0;
  /** Last measured ack per pair: how evenly the server served the senders. */
  readonly lastMeasuredAckAt = new Map<number, number>();
  /** Bumped on every ack, error and delivery: lets waits notice a stalled server. */
  progress = 0;
  /** Called when a send is settled (acked or failed): frees its window slot. */
  onSettled: (pair: number) => void = () => {};

  private readonly lastSeq = new Map<number, number>();

  constructor(private readonly conversationOf: (pair: number) => string) {}

  /** Registers a send; call just before writing the frame. */
  track(id: string, pair: number, t0: number, measured: boolean): void {
    this.records.set(id, { pair, t0, measured, ackedAt: null, failed: null, deliveries: 0, echoes: 0 });
  }

  handle(pair: number, role: Role, frame: ServerFrame, at: number): void {
    switch (frame.type) {
      case 'ack':
        return this.onAck(frame.id, frame.duplicate, at);
      case 'error': {
        this.progress++;
        this.errors.count++;
        this.errors.byCode[frame.code] = (this.errors.byCode[frame.code] ?? 0) + 1;
        if (this.errors.samples.length < 10) this.errors.samples.push(`${role} of pair ${pair}: ${JSON.stringify(frame)}`);
        const rec = frame.id === undefined ? undefined : this.records.get(frame.id);
        if (rec && rec.ackedAt === null && rec.failed === null) {
          rec.failed = frame.code;
          this.onSettled(rec.pair);
        }
        return;
      }
      case 'message':
        return this.onMessage(pair, role, frame, at);
      default:
        return; // ready, receipt, typing, conversation, pong…: not part of this measurement
    }
  }

  private onAck(id: string | undefined, duplicate: boolean, at: number): void {
    this.progress++;
    const rec = id === undefined ? undefined : this.records.get(id);
    if (!rec) {
      this.unknownFrames++;
      return;
    }
    if (duplicate) this.serverDuplicateAcks++;
    if (rec.ackedAt !== null) {
      this.repeatedAcks++;
      return;
    }
    rec.ackedAt = at;
    this.lastAckAt = at;
    if (rec.measured) {
      this.ackLatencies.push(at - rec.t0);
      this.lastMeasuredAckAt.set(rec.pair, at);
    }
    if (rec.failed === null) this.onSettled(rec.pair);
  }

  private onMessage(pair: number, role: Role, frame: Extract<ServerFrame, { type: 'message' }>, at: number): void {
    const content = frame.message;
    const rec = content.type === 'text' ? this.records.get(content.client_msg_id) : undefined;
    if (frame.conversation_id !== this.conversationOf(pair) || !rec || rec.pair !== pair) {
      // System entries (conversation_created, …) are not ours; anything else unknown is counted.
      if (content.type !== 'system') this.unknownFrames++;
      return;
    }
    if (role === 'sender') {
      rec.echoes++;
      return;
    }
    this.progress++;
    const prev = this.lastSeq.get(pair);
    if (prev !== undefined && frame.seq !== prev + 1) {
      this.seqViolations++;
      if (this.seqViolationSamples.length < 10) this.seqViolationSamples.push(`pair ${pair}: seq ${prev} then ${frame.seq}`);
    }
    this.lastSeq.set(pair, frame.seq);
    rec.deliveries++;
    if (rec.deliveries > 1) return;
    this.lastDeliveryAt = at;
    if (rec.measured) this.deliveryLatencies.push(at - rec.t0);
  }

  /** Exactly-once check over the records selected by `filter`. */
  integrity(filter: (r: SendRecord) => boolean = () => true) {
    let sent = 0;
    let acked = 0;
    let failed = 0;
    let missing = 0;
    let duplicated = 0;
    let extraCopies = 0;
    let missingEchoes = 0;
    for (const r of this.records.values()) {
      if (!filter(r)) continue;
      sent++;
      if (r.ackedAt !== null) acked++;
      if (r.failed !== null) failed++;
      if (r.deliveries === 0) missing++;
      if (r.deliveries > 1) {
        duplicated++;
        extraCopies += r.deliveries - 1;
      }
      if (r.echoes === 0) missingEchoes++;
    }
    return { sent, acked, failed, missing, duplicated, extra_copies: extraCopies, missing_sender_echoes: missingEchoes };
  }
}
