/** `createSessionwire` was given options it cannot work with; `problems` names each option and what is wrong. */
export class InvalidSessionwireOptionsError extends Error {
  override readonly name = 'InvalidSessionwireOptionsError';
  readonly code = 'INVALID_OPTIONS';

  constructor(readonly problems: ReadonlyArray<{ option: string; problem: string }>) {
    super(`Invalid sessionwire options: ${problems.map(({ option, problem }) => `${option}: ${problem}`).join('; ')}`);
  }
}

/** The JWKS at `accessTokens.jwksUrl` could not be loaded within `accessTokens.jwksWaitMs`. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
  readonly code = 'JWKS_UNAVAILABLE';
}

/** Redis (the `redis` option) did not answer in time at `createSessionwire`. */
export class SessionwireRedisUnreachableError extends Error {
  override readonly name = 'SessionwireRedisUnreachableError';
  readonly code = 'REDIS_UNREACHABLE';
}

/**
 * `attach()` cannot wire this server: it was already called (one sessionwire serves one Socket.IO server), the handle
 * is closed, or the server has no HTTP server (engine) yet.
 */
export class SessionwireAttachError extends Error {
  override readonly name = 'SessionwireAttachError';
  readonly code = 'CANNOT_ATTACH';
}
