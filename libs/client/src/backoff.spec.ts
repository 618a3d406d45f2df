import { backoffDelay } from './backoff';

const backoff = { initialDelayMs: 1000, maxDelayMs: 10_000, randomization: 0.5 };

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const centre = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, backoff, centre))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('spreads each delay over ±randomization', () => {
    expect(backoffDelay(1, backoff, () => 0)).toBe(500);
    expect(backoffDelay(1, backoff, () => 0.999_999)).toBe(1500);
    expect(backoffDelay(3, backoff, () => 0)).toBe(2000);
  });

  it('keeps the spread under the cap and never goes negative', () => {
    expect(backoffDelay(10, backoff, () => 0.999_999)).toBe(10_000);
    expect(backoffDelay(1, { ...backoff, randomization: 1 }, () => 0)).toBe(0);
  });

  it('clients dropped together get different delays (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(1, backoff)));
    expect(delays.size).toBeGreaterThan(25);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(500);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(1500);
  });
});
