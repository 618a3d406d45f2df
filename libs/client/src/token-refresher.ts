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
  store: TokenStore;
  /** Base URL of the auth service. @default '' (the page's own origin, e.g. through nginx) */
  authBaseUrl?: string;
}

/** Statuses that mean "this refresh token will never work": 400 malformed, 401 rotated away or session over. */
const REJECTING_STATUSES = new Set([400, 401, 403]);

/**
 * `POST {authBaseUrl}/auth/refresh` with the stored refresh token; stores the rotated pair and resolves with
 * the new access token. Concurrent calls share one request: refresh tokens are single-use, and presenting a
 * rotated-away one ends the whole session (only the one rotated away last is forgiven, for the server's
 * `REFRESH_REUSE_GRACE`: that covers two tabs, not a refresher that keeps sending a stale token).
 */
export function createTokenRefresher({ store, authBaseUrl = '' }: TokenRefresherOptions): () => Promise<string> {
  return singleFlight(async () => {
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
  });
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
