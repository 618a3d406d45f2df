import { keySlot } from './key-slot';

describe('keySlot', () => {
  // Expected values are CLUSTER KEYSLOT answers of Redis 7.
  it.each([
    ['foo', 12182],
    ['bar', 5061],
    ['123456789', 12739],
    ['{user1000}.following', 3443],
    ['{user1000}.followers', 3443],
    ['foo{}{bar}', 8363],
    ['foo{{bar}}zap', 4015],
    ['foo{bar}{zap}', 5061],
  ])('%s → %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });
});
