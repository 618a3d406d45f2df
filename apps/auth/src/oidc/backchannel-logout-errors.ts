import type { ErrorCode } from '@app/contracts';
import type { BackchannelLogoutResult } from '../metrics/auth-metrics';

/** A back-channel logout request refused for what it carries; answered with `status` and an OAuth-style error body. */
export class BackchannelLogoutRefusal extends Error {
  override readonly name = 'BackchannelLogoutRefusal';

  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: ErrorCode,
    readonly result: Extract<BackchannelLogoutResult, 'invalid_request' | 'invalid_token' | 'replayed'>,
    message: string,
  ) {
    super(message);
  }
}

/** The request has no usable `logout_token` form parameter. */
export function invalidLogoutRequest(status: 400 | 413 | 415, message: string): BackchannelLogoutRefusal {
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT';
  return new BackchannelLogoutRefusal(status, code, 'invalid_request', message);
}

/** The logout token fails validation (OpenID Connect Back-Channel Logout 1.0, section 2.6). */
export function invalidLogoutToken(message: string): BackchannelLogoutRefusal {
  return new BackchannelLogoutRefusal(400, 'INVALID_LOGOUT_TOKEN', 'invalid_token', message);
}

/** A valid logout token whose `jti` was already acted on. */
export function replayedLogoutToken(): BackchannelLogoutRefusal {
  return new BackchannelLogoutRefusal(400, 'INVALID_LOGOUT_TOKEN', 'replayed', 'Logout token already used (its jti was seen before)');
}

/** The issuer's keys could not be fetched (discovery or JWKS): not the token's fault, so a 503 the provider may retry. */
export class IssuerKeysUnavailableError extends Error {
  override readonly name = 'IssuerKeysUnavailableError';
}
