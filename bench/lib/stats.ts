/** Latency summaries from raw samples (sorted arrays: exact at the sizes the benchmarks keep). */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The p-th percentile (0-100) of ascending `sorted`, nearest-rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

/**
 * Keeps a uniform random sample of at most `capacity` values from a stream (reservoir sampling),
 * so percentiles stay exact in distribution while memory stays bounded.
 */
export class Reservoir {
  readonly values: number[] = [];
  seen = 0;
  constructor(private readonly capacity = 50_000) {}

  add(v: number): void {
    this.seen++;
    if (this.values.length < this.capacity) this.values.push(v);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.capacity) this.values[j] = v;
    }
  }

  reset(): void {
    this.values.length = 0;
    this.seen = 0;
  }
}

/** Rounds for tables and JSON: 3 significant digits below 100, whole numbers above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  if (Math.abs(v) >= 100) return Math.round(v);
  return Number(v.toPrecision(3));
}
