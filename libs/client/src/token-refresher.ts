import type { ErrorBody, ErrorCode, RefreshBody, TokenPair } from '@app/contracts';
import type { TokenStore } from './token-store';

/**
 * The session cannot be refreshed any more (no refresh token, or the auth service refused it): sign in again.
 * A custom `refresh` throws this to end the session; any other error counts as transient and is retried.
 */
export class RefreshRejectedError extends Error {
  override readonly name = 'RefreshRejectedError';

  constructor(
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
  }
}

/** The refresh could not be done right now (network, 5xx, 429): retried with backoff, the session goes on. */
export class RefreshUnavailableError extends Error {
  override readonly name = 'RefreshUnavailableError';
}

export interface TokenRefresherOptions {
  /** Where the refresh token is read from and the rotated pair stored. Required: there is no default. */
  store: TokenStore;
  /** Base URL of the auth service. @default '' (the page's own origin, e.g. through nginx) */
  authBaseUrl?: string;
}

/** Statuses that mean "this refresh token will never work": 400 malformed, 401 rotated away or session over. */
const REJECTING_STATUSES = new Set([400, 401, 403]);

/** The refresh under way for each store, shared by every refresher of that store. */
const refreshing = new WeakMap<TokenStore, Promise<string>>();

/**
 * `POST {authBaseUrl}/auth/refresh` with the stored refresh token; stores the rotated pair and resolves with
 * the new access token. Concurrent calls share one request, also across refreshers of the same store (the clients
 * of one page that share its tokens): refresh tokens are single-use, and presenting a rotated-away one ends the
 * whole session. Only the one rotated away last is forgiven, for the server's `REFRESH_REUSE_GRACE`: that covers
 * two tabs refreshing at once, not a third that read the token before both rotations (found by the soak, when the
 * clients of a session reconnected together after their gateway went away).
 */
export function createTokenRefresher({ store, authBaseUrl = '' }: TokenRefresherOptions): () => Promise<string> {
  const refresh = async (): Promise<string> => {
    const refreshToken = store.get()?.refreshToken;
    if (!refreshToken) throw new RefreshRejectedError('No refresh token stored: sign in again');
    const body: RefreshBody = { refreshToken };
    let response: Response;
    try {
      response = await fetch(`${authBaseUrl}/auth/refresh`, {
        method: 'POST',
        // The refresh token is the credential; a cookie would make this a request of the cookie's session.
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new RefreshUnavailableError(`POST ${authBaseUrl}/auth/refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      const error = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
      const message = `POST ${authBaseUrl}/auth/refresh answered ${response.status}${error?.code ? ` ${error.code}` : ''}`;
      if (!REJECTING_STATUSES.has(response.status)) throw new RefreshUnavailableError(message);
      store.clear();
      throw new RefreshRejectedError(message, error?.code);
    }
    const pair = (await response.json()) as TokenPair;
    store.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: Date.now() + pair.expiresIn * 1000 });
    return pair.accessToken;
  };
  return () => {
    const running = refreshing.get(store) ?? refresh().finally(() => refreshing.delete(store));
    refreshing.set(store, running);
    return running;
  };
}

/** Wraps `task` so that calls made while one is running share its result. */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= task().finally(() => {
      running = undefined;
    });
    return running;
  };
}
