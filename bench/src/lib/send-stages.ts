/**
 * Where a persisted send's time goes on the server, per step, read from the
 * instance's own Prometheus metrics before and after the step (means over the
 * step; exact, unlike percentiles read off histogram buckets):
 * - frame: `send_message` from decoding to the ack (parley_ws_frame_duration_seconds);
 * - wait: in the message writer's lane before its batch starts (parley_message_write_wait_seconds);
 * - batch: one batch's statement and commit (parley_message_write_batch_seconds);
 * - size: sends per batch (parley_message_write_batch_size).
 * A server without these metrics (an older checkout as `base`) gives nulls.
 */

const SERIES = {
  frameSum: 'parley_ws_frame_duration_seconds_sum{type="send_message"}',
  frameCount: 'parley_ws_frame_duration_seconds_count{type="send_message"}',
  waitSum: 'parley_message_write_wait_seconds_sum',
  waitCount: 'parley_message_write_wait_seconds_count',
  batchSum: 'parley_message_write_batch_seconds_sum',
  batchCount: 'parley_message_write_batch_seconds_count',
  sizeSum: 'parley_message_write_batch_size_sum',
} as const;

export type StageSample = Partial<Record<keyof typeof SERIES, number>>;

export interface SendStages {
  frame_ms: number | null;
  write_wait_ms: number | null;
  batch_ms: number | null;
  batch_size: number | null;
}

/** The series above from `metricsUrl`/metrics; empty when it cannot be read. */
export async function sampleStages(metricsUrl: string | undefined): Promise<StageSample> {
  if (!metricsUrl) return {};
  try {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const sample: StageSample = {};
    for (const line of text.split('\n')) {
      for (const [key, series] of Object.entries(SERIES) as Array<[keyof typeof SERIES, string]>) {
        if (line.startsWith(`${series} `)) sample[key] = Number(line.slice(series.length + 1));
      }
    }
    return sample;
  } catch {
    return {};
  }
}

/** Means over the step between two samples. */
export function stagesBetween(a: StageSample, b: StageSample): SendStages {
  const delta = (k: keyof typeof SERIES) => (a[k] === undefined || b[k] === undefined ? null : b[k]! - a[k]!);
  const mean = (sum: number | null, count: number | null, scale: number) =>
    sum === null || count === null || count <= 0 ? null : Math.round(((sum / count) * scale) * 100) / 100;
  return {
    frame_ms: mean(delta('frameSum'), delta('frameCount'), 1000),
    write_wait_ms: mean(delta('waitSum'), delta('waitCount'), 1000),
    batch_ms: mean(delta('batchSum'), delta('batchCount'), 1000),
    batch_size: mean(delta('sizeSum'), delta('batchCount'), 1),
  };
}
