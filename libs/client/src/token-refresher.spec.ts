import { createTokenRefresher, RefreshRejectedError, RefreshUnavailableError, singleFlight } from './token-refresher';
import { MemoryTokenStore } from './token-store';

const realFetch = globalThis.fetch;

function answer(status: number, body: unknown): jest.Mock {
  const mock = jest.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
  globalThis.fetch = mock as typeof fetch;
  return mock;
}

afterEach(() => {
  globalThis.fetch = realFetch;
});

describe('createTokenRefresher', () => {
  it('posts the stored refresh token and stores the rotated pair', async () => {
    const store = new MemoryTokenStore({ accessToken: 'a1', refreshToken: 'r1' });
    const fetchMock = answer(200, { accessToken: 'a2', refreshToken: 'r2', expiresIn: 20 });
    await expect(createTokenRefresher({ store, authBaseUrl: 'http://auth.test' })()).resolves.toBe('a2');
    expect(fetchMock).toHaveBeenCalledWith('http://auth.test/auth/refresh', expect.objectContaining({ method: 'POST', body: JSON.stringify({ refreshToken: 'r1' }) }));
    expect(store.get()).toEqual({ accessToken: 'a2', refreshToken: 'r2', expiresAt: expect.any(Number) });
  });

  it('a refused refresh token is a rejection: the store is cleared', async () => {
    const store = new MemoryTokenStore({ refreshToken: 'r1' });
    answer(401, { statusCode: 401, error: 'Unauthorized', message: 'ended', code: 'SESSION_REVOKED' });
    const refused = createTokenRefresher({ store })();
    await expect(refused).rejects.toBeInstanceOf(RefreshRejectedError);
    await expect(refused).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    expect(store.get()).toBeUndefined();
  });

  it('a 503 is transient: the tokens are kept', async () => {
    const store = new MemoryTokenStore({ refreshToken: 'r1' });
    answer(503, { statusCode: 503, error: 'Service Unavailable', message: 'later', code: 'UNAVAILABLE' });
    await expect(createTokenRefresher({ store })()).rejects.toBeInstanceOf(RefreshUnavailableError);
    expect(store.get()).toEqual({ refreshToken: 'r1' });
  });

  it('refreshers of one store share the request under way (the clients of a page that share its tokens)', async () => {
    const store = new MemoryTokenStore({ accessToken: 'a1', refreshToken: 'r1' });
    const fetchMock = answer(200, { accessToken: 'a2', refreshToken: 'r2', expiresIn: 20 });
    const [first, second] = [createTokenRefresher({ store }), createTokenRefresher({ store })];
    expect(await Promise.all([first(), second(), first()])).toEqual(['a2', 'a2', 'a2']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // Another store has its own.
    await createTokenRefresher({ store: new MemoryTokenStore({ refreshToken: 'other' }) })();
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('no refresh token: rejected without a request', async () => {
    const fetchMock = answer(200, {});
    await expect(createTokenRefresher({ store: new MemoryTokenStore() })()).rejects.toBeInstanceOf(RefreshRejectedError);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('singleFlight', () => {
  it('concurrent calls share one run; a later call starts a new one', async () => {
    let runs = 0;
    const task = singleFlight(async () => ++runs);
    expect(await Promise.all([task(), task(), task()])).toEqual([1, 1, 1]);
    expect(await task()).toBe(2);
  });
});
