import type { ClusterView, LatencyHistogram, NodeReport } from '@app/contracts';
import type { NodeConnectionCount } from '@app/registry';

/** Adds histograms up bucket by bucket (same upper bound); a bound one node lacks counts as its count below it. */
export function addHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const bounds = [...new Set(histograms.flatMap((histogram) => histogram.buckets.map((bucket) => bucket.le)))].sort((a, b) => a - b);
  return {
    buckets: bounds.map((le) => ({ le, count: histograms.reduce((total, histogram) => total + cumulativeAt(histogram, le), 0) })),
    count: histograms.reduce((total, histogram) => total + histogram.count, 0),
    sum: histograms.reduce((total, histogram) => total + histogram.sum, 0),
  };
}

/** The histogram's cumulative count at `le`: its largest bucket not above it. */
function cumulativeAt(histogram: LatencyHistogram, le: number): number {
  let count = 0;
  for (const bucket of histogram.buckets) if (bucket.le <= le) count = bucket.count;
  return count;
}

/** The registry's nodes with what each reported of itself; the latency histogram added up over the live reporting ones. */
export function clusterView(counts: readonly NodeConnectionCount[], reports: ReadonlyMap<string, NodeReport>): ClusterView {
  const nodes = counts.map(({ nodeId, alive, connections }) => {
    const report = reports.get(nodeId);
    return { nodeId, alive, connections, subscriber: report?.subscriber ?? null, draining: report?.draining ?? null, reportedAt: report?.reportedAt ?? null };
  });
  const live = counts.filter((node) => node.alive).flatMap((node) => reports.get(node.nodeId)?.logoutPropagation ?? []);
  return { nodes, logoutPropagation: addHistograms(live) };
}
