/**
 * Runs work in batches: items that arrive while a batch runs wait and go
 * together in the next one. Under light load a batch is a single item, so
 * nothing waits for a timer; under load, batches grow and the fixed cost of a
 * round trip is shared. A batch starts only after all of its items arrived.
 *
 * By default one batch runs at a time. With `concurrency` > 1 and a `keyOf`
 * (e.g. the conversation), up to that many batches run side by side as long
 * as they share no key: an item whose key a running batch holds waits for it,
 * and no item overtakes an earlier one with the same key. So at light load a
 * send to one conversation does not wait for another conversation's commit,
 * while one key's items still run strictly in arrival order, one batch at a
 * time.
 *
 * `run` answers each item of a batch in order with a result or an Error (that
 * item alone is refused); if it throws, every item of the batch is refused.
 */
export class BatchQueue<In, Out> {
  private queue: Array<Pending<In, Out>> = [];
  private running = 0;
  /** Keys held by running batches. */
  private readonly busy = new Set<string>();
  private readonly keyOf: ((input: In) => string) | null;
  private readonly concurrency: number;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Array<Out | Error>>,
    private readonly maxBatch: number,
    options: { concurrency?: number; keyOf?: (input: In) => string } = {},
  ) {
    this.keyOf = options.keyOf ?? null;
    this.concurrency = this.keyOf ? Math.max(1, options.concurrency ?? 1) : 1;
  }

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      // An item whose key a running batch holds cannot start now, and every item before it was
      // considered at the last pump: no need to scan the queue again (that scan made a hot
      // conversation's burst quadratic).
      if (this.keyOf !== null && this.busy.has(this.keyOf(input))) return;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return; // everything queued waits for a key a running batch holds
      this.start(batch);
    }
  }

  /** The next batch: queued items in order, skipping (and holding back) the keys running batches hold. */
  private take(): Array<Pending<In, Out>> {
    const keyOf = this.keyOf;
    if (keyOf === null || this.busy.size === 0) return this.queue.splice(0, this.maxBatch);
    const batch: Array<Pending<In, Out>> = [];
    const rest: Array<Pending<In, Out>> = [];
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !this.busy.has(keyOf(p.input))) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private start(batch: Array<Pending<In, Out>>): void {
    this.running++;
    const keys = this.keyOf === null ? [] : [...new Set(batch.map((p) => this.keyOf!(p.input)))];
    for (const k of keys) this.busy.add(k);
    this.run(batch.map((p) => p.input))
      .then(
        (results) =>
          batch.forEach((p, i) => {
            const r = results[i]!;
            if (r instanceof Error) p.reject(r);
            else p.resolve(r);
          }),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.running--;
        for (const k of keys) this.busy.delete(k);
        this.pump();
      });
  }
}

interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}
