import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * A seeded random stream. The soak draws its schedule (which operation or fault, when, with which parameters) from
 * streams derived from one seed, so a run can be repeated with `--seed`.
 */
export class Random {
  private readonly generator: RandomGenerator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
  }

  /** An integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.generator, from, to);
  }

  /** A number in [from, to). */
  between(from: number, to: number): number {
    return from + uniformFloat64(this.generator) * (to - from);
  }

  chance(probability: number): boolean {
    return uniformFloat64(this.generator) < probability;
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(0, items.length - 1)];
  }

  /** A key of `weights`, drawn in proportion to its weight (weights ≤ 0 are never drawn). */
  weighted<Key extends string>(weights: Readonly<Record<Key, number>>): Key {
    const entries = (Object.entries(weights) as Array<[Key, number]>).filter(([, weight]) => weight > 0);
    let draw = this.between(0, entries.reduce((sum, [, weight]) => sum + weight, 0));
    for (const [key, weight] of entries) {
      draw -= weight;
      if (draw < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}
