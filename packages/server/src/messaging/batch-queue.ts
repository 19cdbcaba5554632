/**
 * Runs work in batches, one batch at a time: items that arrive while a batch
 * runs wait and go together in the next one. Under light load a batch is a
 * single item, so nothing waits for a timer; under load, batches grow and the
 * fixed cost of a round trip is shared. A batch starts only after all of its
 * items arrived.
 *
 * `run` answers each item of a batch in order with a result or an Error (that
 * item alone is refused); if it throws, every item of the batch is refused.
 */
export class BatchQueue<In, Out> {
  private queue: Array<{ input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> = [];
  private running = false;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Array<Out | Error>>,
    private readonly maxBatch: number,
  ) {}

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.maxBatch);
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
        this.running = false;
        this.pump();
      });
  }
}
