import type { Logger } from 'pino';
import type { AttachmentsRepo, AttachmentRow } from './attachments-repo.ts';
import type { AttachmentProcessor } from './processor.ts';
import { ScannerUnavailable } from './clamd.ts';

export interface WorkerOptions {
  instanceId: string;
  /** Jobs processed at once by this instance. */
  concurrency: number;
  /** Seconds a claimed job stays this instance's without renewal. */
  leaseSeconds: number;
  /** Longest wait between retries while the scanner is down, seconds. */
  retryMaxSeconds: number;
  /**
   * How often an idle instance looks for jobs it was not told about, ms: a
   * dead instance's job (after its lease) or an upload finished elsewhere
   * whose instance is busy. An upload finishing here, and a retry falling
   * due here, wake the runners at once without polling.
   */
  pollMs: number;
  /** Unexpected errors (not a scanner outage) on one file before it is `failed`. */
  maxAttempts: number;
  /** Seconds an upload may stay unreferenced by any message before it is collected. */
  unreferencedTtlSeconds: number;
}

export interface WorkerHooks {
  /** The job ended (clean, blocked or failed): tell people, refresh the message. */
  finished(row: AttachmentRow, detail: { signature?: string }): Promise<void>;
  /** An unreferenced upload is past its TTL: remove it. */
  collect(row: AttachmentRow): Promise<void>;
}

/**
 * Runs the processing jobs that the attachments table holds. Any instance
 * runs one; a job is claimed with `FOR UPDATE SKIP LOCKED` and a lease that
 * the runner renews while it works, so a job whose instance died is taken
 * again once the lease lapses, and a runner that lost its lease cannot write
 * its outcome over the new holder's (the outcome is fenced on the holder).
 * While clamd is unreachable a job goes back with exponential backoff: it
 * stays `pending` and is never served unscanned.
 */
export class AttachmentWorker {
  private running = false;
  private readonly runners: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private gcTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly repo: AttachmentsRepo,
    private readonly processor: AttachmentProcessor,
    private readonly hooks: WorkerHooks,
    private readonly log: Logger,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.concurrency; i++) this.runners.push(this.run(i === 0));
    const gcEvery = Math.max(1_000, Math.min(60_000, (this.options.unreferencedTtlSeconds * 1000) / 4));
    this.gcTimer = setInterval(() => void this.collectUnreferenced(), gcEvery);
    this.gcTimer.unref();
  }

  /** An upload finished on this instance: look for work now rather than at the next poll. */
  kick(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /**
   * Stops taking jobs. Jobs in progress are given back (their lease cleared,
   * due at once) so another instance takes them; their late outcome, if any,
   * is refused by the fence.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.kick();
    for (const [id, holder] of this.inFlight) await this.repo.retryLater(id, holder, 0).catch(() => {});
    await Promise.race([Promise.all(this.runners), new Promise((r) => setTimeout(r, 200))]);
  }

  /** One runner; only the `polls` one looks for work on a timer (the others wait to be woken), keeping an idle instance's queries rare. */
  private async run(polls: boolean): Promise<void> {
    while (this.running) {
      let row: AttachmentRow | null = null;
      const holder = `${this.options.instanceId}/${crypto.randomUUID()}`;
      try {
        row = await this.repo.claim(holder, this.options.leaseSeconds);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'attachment job claim failed');
      }
      if (!row) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.sleepers.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = polls ? setTimeout(wake, this.options.pollMs) : undefined;
          this.sleepers.add(wake);
        });
        continue;
      }
      // There may be more: let the other runners look too.
      this.kick();
      await this.work(row, holder);
    }
  }

  private async work(row: AttachmentRow, holder: string): Promise<void> {
    this.inFlight.set(row.id, holder);
    const renewEvery = (this.options.leaseSeconds * 1000) / 3;
    const renewal = setInterval(() => {
      void this.repo.renew(row.id, holder, this.options.leaseSeconds).catch(() => {});
    }, renewEvery);
    try {
      const parts = await this.repo.parts(row.id);
      const outcome = await this.processor.process(row, parts);
      const finished = await this.repo.finish(row.id, holder, {
        status: outcome.status,
        contentType: outcome.contentType,
        reason: outcome.status === 'clean' ? null : outcome.reason,
        width: outcome.status === 'clean' ? outcome.width : null,
        height: outcome.status === 'clean' ? outcome.height : null,
        objectKey: outcome.status === 'clean' ? outcome.objectKey : null,
        thumbnailKey: outcome.status === 'clean' ? outcome.thumbnailKey : null,
        signature: outcome.status === 'blocked' ? (outcome.signature ?? null) : null,
      });
      if (!finished) {
        this.log.info({ attachment_id: row.id }, 'attachment job lease lost: another instance finishes it');
        return;
      }
      if (outcome.status === 'clean') {
        await this.processor.deleteKeys(outcome.keysToDelete).catch(() => {});
      } else {
        await this.processor.removeObjects(finished, parts);
      }
      await this.hooks.finished(finished, outcome.status === 'blocked' && outcome.signature ? { signature: outcome.signature } : {});
    } catch (err) {
      if (err instanceof ScannerUnavailable) {
        const delay = Math.min(this.options.retryMaxSeconds, 2 ** Math.min(row.attempts, 10));
        this.log.warn({ attachment_id: row.id, retry_in: delay, err: err.message }, 'clamd unavailable: attachment stays pending');
        await this.repo.retryLater(row.id, holder, delay).catch(() => {});
        this.wakeIn(delay);
      } else if (row.attempts >= this.options.maxAttempts) {
        this.log.error({ attachment_id: row.id, err }, 'attachment processing failed');
        const failed = await this.repo
          .finish(row.id, holder, { status: 'failed', contentType: null, reason: 'processing_error', width: null, height: null, objectKey: null, thumbnailKey: null })
          .catch(() => null);
        if (failed) await this.hooks.finished(failed, {}).catch(() => {});
      } else {
        this.log.warn({ attachment_id: row.id, err: (err as Error).message }, 'attachment processing error: will retry');
        const delay = Math.min(this.options.retryMaxSeconds, 2 ** row.attempts);
        await this.repo.retryLater(row.id, holder, delay).catch(() => {});
        this.wakeIn(delay);
      }
    } finally {
      clearInterval(renewal);
      this.inFlight.delete(row.id);
    }
  }

  /** Wakes the runners when a job given back for a retry falls due. */
  private wakeIn(seconds: number): void {
    setTimeout(() => this.kick(), seconds * 1000 + 20).unref();
  }

  /** Removes uploads no message referenced within the TTL (and abandoned half-uploads). */
  async collectUnreferenced(): Promise<number> {
    let n = 0;
    try {
      for (const row of await this.repo.unreferenced(this.options.unreferencedTtlSeconds, 100)) {
        await this.hooks.collect(row);
        n++;
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'collecting unreferenced attachments failed');
    }
    return n;
  }
}
