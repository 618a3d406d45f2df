/** What the SDK knows about the signed-in session's credentials. */
export interface Tokens {
  accessToken?: string;
  /**
   * Single-use: every refresh rotates it. Presenting a rotated-away one ends the session, except the one rotated
   * away last within the server's `REFRESH_REUSE_GRACE`, which gets the current one.
   */
  refreshToken?: string;
  /** When `accessToken` expires (epoch milliseconds), if known. */
  expiresAt?: number;
}

/**
 * Where the tokens live. The default keeps them in memory only: a refresh token in `localStorage` would be
 * readable by any script that runs on the page.
 */
export interface TokenStore {
  get(): Tokens | undefined;
  set(tokens: Tokens): void;
  clear(): void;
}

export class MemoryTokenStore implements TokenStore {
  private tokens?: Tokens;

  constructor(initial?: Tokens) {
    if (initial && (initial.accessToken || initial.refreshToken)) this.tokens = { ...initial };
  }

  get(): Tokens | undefined {
    return this.tokens && { ...this.tokens };
  }

  set(tokens: Tokens): void {
    this.tokens = { ...tokens };
  }

  clear(): void {
    this.tokens = undefined;
  }
}
