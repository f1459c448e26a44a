/** Timing loops shared by the benches: warm-up, then one sample per run (hrtime), and percentiles of the samples. */

export type Unit = 'ms' | 'µs';
const NS_PER: Record<Unit, number> = { ms: 1e6, 'µs': 1e3 };

/** Time of one awaited run of `fn`, in `unit`. */
export async function timed(fn: () => Promise<unknown>, unit: Unit = 'ms'): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / NS_PER[unit];
}

/** Runs `fn` `warmup` times, then `n` times, awaiting each: the `n` samples in `unit`. */
export async function measure(n: number, fn: () => Promise<unknown>, { warmup = 20, unit = 'ms' }: { warmup?: number; unit?: Unit } = {}): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await timed(fn, unit));
  return samples;
}

/** As measure, for a synchronous `fn` (no await between samples: what sub-microsecond calls need). */
export function measureSync(n: number, fn: () => void, { warmup = 20, unit = 'ms' }: { warmup?: number; unit?: Unit } = {}): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / NS_PER[unit]);
  }
  return samples;
}

/** The p-quantile of sorted samples: the value at floor(n·p), the last one at most. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** p50, p99 and max of samples in any order. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1)! };
}
