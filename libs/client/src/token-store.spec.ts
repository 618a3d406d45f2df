import { MemoryTokenStore } from './token-store';

describe('MemoryTokenStore', () => {
  it('starts empty, or with the given tokens', () => {
    expect(new MemoryTokenStore().get()).toBeUndefined();
    expect(new MemoryTokenStore({}).get()).toBeUndefined();
    expect(new MemoryTokenStore({ refreshToken: 'r1' }).get()).toEqual({ refreshToken: 'r1' });
  });

  it('replaces on set, forgets on clear', () => {
    const store = new MemoryTokenStore({ accessToken: 'a1', refreshToken: 'r1' });
    store.set({ accessToken: 'a2', refreshToken: 'r2', expiresAt: 42 });
    expect(store.get()).toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresAt: 42 });
    store.clear();
    expect(store.get()).toBeUndefined();
  });

  it('hands out copies: changing one does not change what is stored', () => {
    const store = new MemoryTokenStore({ accessToken: 'a1' });
    const copy = store.get();
    if (copy) copy.accessToken = 'changed';
    expect(store.get()).toEqual({ accessToken: 'a1' });
  });
});
