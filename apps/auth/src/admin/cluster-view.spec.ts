import type { NodeReport } from '@app/contracts';
import { addHistograms, clusterView } from './cluster-view';

const report = (buckets: Array<[number, number]>, count: number, sum: number): NodeReport => ({
  subscriber: 'ready',
  draining: false,
  reportedAt: '2026-01-01T00:00:00.000Z',
  logoutPropagation: { buckets: buckets.map(([le, bucketCount]) => ({ le, count: bucketCount })), count, sum },
});

describe('addHistograms', () => {
  it('adds cumulative buckets of the same bound, counts and sums', () => {
    const total = addHistograms([report([[0.01, 1], [0.1, 3]], 4, 0.5).logoutPropagation, report([[0.01, 2], [0.1, 2]], 5, 1).logoutPropagation]);
    expect(total).toEqual({ buckets: [{ le: 0.01, count: 3 }, { le: 0.1, count: 5 }], count: 9, sum: 1.5 });
  });

  it('counts a bound one histogram lacks as its cumulative count below it', () => {
    const total = addHistograms([report([[0.01, 1], [0.1, 3]], 3, 0.2).logoutPropagation, report([[0.1, 2]], 2, 0.1).logoutPropagation]);
    expect(total.buckets).toEqual([{ le: 0.01, count: 1 }, { le: 0.1, count: 5 }]);
  });

  it('is empty for no histogram', () => {
    expect(addHistograms([])).toEqual({ buckets: [], count: 0, sum: 0 });
  });
});

describe('clusterView', () => {
  it('shows a node without a report as unknown, and adds up only the live nodes\' histograms', () => {
    const view = clusterView(
      [
        { nodeId: 'a', alive: true, connections: 2 },
        { nodeId: 'b', alive: false, connections: 1 },
        { nodeId: 'c', alive: true, connections: 0 },
      ],
      new Map([
        ['a', report([[0.1, 1]], 1, 0.05)],
        ['b', report([[0.1, 7]], 7, 0.5)],
      ]),
    );
    expect(view.nodes).toEqual([
      { nodeId: 'a', alive: true, connections: 2, subscriber: 'ready', draining: false, reportedAt: '2026-01-01T00:00:00.000Z' },
      { nodeId: 'b', alive: false, connections: 1, subscriber: 'ready', draining: false, reportedAt: '2026-01-01T00:00:00.000Z' },
      { nodeId: 'c', alive: true, connections: 0, subscriber: null, draining: null, reportedAt: null },
    ]);
    expect(view.logoutPropagation).toEqual({ buckets: [{ le: 0.1, count: 1 }], count: 1, sum: 0.05 });
  });
});
