import type { Logger } from 'pino';
import { EVENT_DELIVERY_HEADERS } from '@parley/protocol';
import type { IntegrationsConfig } from '../config.ts';
import type { ClaimedDelivery, DeliveryQueue } from './delivery-queue.ts';
import { signatureHeader } from './signature.ts';
import { postDelivery } from './sender.ts';

/** Delay before retry number `attempt + 1`: doubling from the base, capped, with jitter in [½, 1] of it so retries spread. */
export function retryDelayMs(attempt: number, config: Pick<IntegrationsConfig, 'retryBaseMs' | 'retryMaxSeconds'>, random = Math.random): number {
  const ceiling = Math.min(config.retryMaxSeconds * 1000, config.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Sends queued event deliveries; every server instance runs one. Runners
 * claim due rows from the queue (one instance per row at a time, see
 * DeliveryQueue), sign each attempt with its own timestamp, POST it, and
 * record the outcome: delivered, retried later with backoff, or failed once
 * out of attempts. Idle runners poll; a local enqueue or a retry falling due
 * wakes them at once. Logs never hold a body, a secret or the URL.
 */
export class DeliveryWorker {
  private running = false;
  private readonly runners: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly inFlight = new Map<string, string>();
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly log: Logger,
    private readonly config: IntegrationsConfig,
    private readonly instanceId: string,
  ) {}

  /** Longer than any attempt can last, so a live holder never loses its row to another instance. */
  private get leaseSeconds(): number {
    return Math.ceil(this.config.timeoutMs / 1000) + 30;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.config.concurrency; i++) this.runners.push(this.run(i === 0));
    this.pruneTimer = setInterval(() => {
      this.queue.prune(this.config.logRetention).catch((err: Error) => this.log.warn({ err: err.message }, 'event delivery log prune failed'));
    }, 3_600_000);
    this.pruneTimer.unref();
  }

  /** Something was queued or fell due: look now rather than at the next poll. */
  kick(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.kick();
    // An attempt in flight finishes (bounded by the timeout) and records its outcome.
    await Promise.race([Promise.all(this.runners), new Promise((r) => setTimeout(r, this.config.timeoutMs + 100))]);
    for (const [id, holder] of this.inFlight) await this.queue.release(id, holder).catch(() => {});
  }

  private async run(polls: boolean): Promise<void> {
    while (this.running) {
      const holder = `${this.instanceId}/${crypto.randomUUID()}`;
      let claimed: ClaimedDelivery | null = null;
      try {
        claimed = await this.queue.claim(holder, this.leaseSeconds);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'event delivery claim failed');
      }
      if (!claimed) {
        await this.sleep(polls);
        continue;
      }
      this.kick();
      this.inFlight.set(claimed.id, holder);
      try {
        await this.attempt(claimed, holder);
      } catch (err) {
        this.log.warn({ delivery_id: claimed.id, err: (err as Error).message }, 'event delivery bookkeeping failed; its lease will lapse');
      } finally {
        this.inFlight.delete(claimed.id);
      }
    }
  }

  private sleep(polls: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = polls ? setTimeout(wake, this.config.pollMs) : undefined;
      this.sleepers.add(wake);
    });
  }

  private async attempt(d: ClaimedDelivery, holder: string): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      [EVENT_DELIVERY_HEADERS.eventId]: d.event_id,
      [EVENT_DELIVERY_HEADERS.eventType]: d.event_type,
      [EVENT_DELIVERY_HEADERS.timestamp]: String(timestamp),
      [EVENT_DELIVERY_HEADERS.signature]: signatureHeader(d.secret, timestamp, d.body),
    };
    const outcome = await postDelivery(d.url, headers, d.body, { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivateUrls });
    const fields = { delivery_id: d.id, endpoint_id: d.endpoint_id, event_id: d.event_id, attempt: d.attempts, status_code: outcome.statusCode };
    if (outcome.error === null) {
      await this.queue.finish(d, holder, outcome, { kind: 'delivered' });
      this.log.debug({ ...fields, ms: Math.round(outcome.durationMs) }, 'event delivered');
    } else if (d.attempts >= this.config.maxAttempts) {
      await this.queue.finish(d, holder, outcome, { kind: 'failed' });
      this.log.warn({ ...fields, error: outcome.error }, 'event delivery failed: out of attempts');
    } else {
      const inMs = retryDelayMs(d.attempts, this.config);
      await this.queue.finish(d, holder, outcome, { kind: 'retry', inMs });
      this.log.info({ ...fields, error: outcome.error, retry_in_ms: inMs }, 'event delivery failed: will retry');
      setTimeout(() => this.kick(), inMs + 10).unref();
    }
  }
}
