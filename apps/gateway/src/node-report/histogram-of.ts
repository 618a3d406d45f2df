import type { LatencyHistogram } from '@app/contracts';

/** A prom-client metric value, as `Metric.get()` lists them. */
export interface MetricValue {
  metricName?: string;
  labels: Partial<Record<string, string | number>>;
  value: number;
}

/**
 * The histogram of prom-client's values of an unlabelled histogram: its finite buckets (cumulative), count and sum.
 * `+Inf` is left out: it is the count, and JSON has no Infinity.
 */
export function histogramOf(values: readonly MetricValue[]): LatencyHistogram {
  const histogram: LatencyHistogram = { buckets: [], count: 0, sum: 0 };
  for (const { metricName, labels, value } of values) {
    if (metricName?.endsWith('_bucket')) {
      const le = Number(labels.le);
      if (Number.isFinite(le)) histogram.buckets.push({ le, count: value });
    } else if (metricName?.endsWith('_count')) {
      histogram.count = value;
    } else if (metricName?.endsWith('_sum')) {
      histogram.sum = value;
    }
  }
  histogram.buckets.sort((a, b) => a.le - b.le);
  return histogram;
}
