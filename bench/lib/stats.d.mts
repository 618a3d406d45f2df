// Types for stats.mjs, used by the soak (TypeScript) as well as the benchmark.

export function percentile(sorted: readonly number[], p: number): number | null;

export interface Summary {
  count: number;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export function summarize(values: readonly number[]): Summary;
