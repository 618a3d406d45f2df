import { nestsDeeperThan } from './nesting-depth';

function nested(depth: number, wrap: (inner: unknown) => unknown, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = wrap(value);
  return value;
}
const arrays = (depth: number, leaf?: unknown) => nested(depth, (inner) => [inner], leaf);
const objects = (depth: number) => nested(depth, (inner) => ({ a: inner }));

describe('nestsDeeperThan', () => {
  it('counts containers only: a scalar is level 0, a container at the top level 1', () => {
    for (const scalar of [1, 'text', null, undefined, true]) expect(nestsDeeperThan(scalar, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1, 2, { b: 'c' }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [1, 2, { b: 'c' }] }, 2)).toBe(true);
  });

  it('finds the deepest branch wherever it is, in arrays and objects alike', () => {
    const wide = { shallow: [1, 2, 3], deep: [{ x: arrays(5) }], other: 'x' };
    expect(nestsDeeperThan(wide, 8)).toBe(false);
    expect(nestsDeeperThan(wide, 7)).toBe(true);
    expect(nestsDeeperThan([...Array.from({ length: 1000 }, () => 0), arrays(4)], 4)).toBe(true);
    expect(nestsDeeperThan(objects(32), 32)).toBe(false);
    expect(nestsDeeperThan(objects(33), 32)).toBe(true);
    expect(nestsDeeperThan(Object.assign(Object.create(null) as object, { a: [[]] }), 2)).toBe(true);
  });

  it('measures a million levels without overflowing the stack', () => {
    expect(nestsDeeperThan(arrays(1_000_000), 32)).toBe(true);
    expect(nestsDeeperThan(objects(1_000_000), 1_000_000)).toBe(false);
  });

  it('treats Buffers and other non-plain objects as leaves', () => {
    expect(nestsDeeperThan(arrays(2, Buffer.alloc(64)), 2)).toBe(false);
    expect(nestsDeeperThan({ at: new Date(0) }, 1)).toBe(false);
  });
});
