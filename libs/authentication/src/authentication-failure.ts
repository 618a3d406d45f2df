import { UnauthorizedException } from '@nestjs/common';
import type { ErrorCode } from '@app/contracts';

export type AuthenticationFailureCode = Extract<ErrorCode, 'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'SESSION_REVOKED'>;

/**
 * A credential was presented and refused. Over HTTP it is a 401 whose body carries `code`;
 * at a Socket.IO handshake `code` becomes the `connect_error` message.
 */
export class AuthenticationFailure extends UnauthorizedException {
  override readonly name = 'AuthenticationFailure';

  constructor(
    readonly code: AuthenticationFailureCode,
    message: string,
  ) {
    super({ message, code });
  }
}

/**
 * Turns what passport reports for a failed attempt (passport-jwt hands jsonwebtoken's errors as
 * challenges; several strategies give an array) into one failure.
 */
export function toAuthenticationFailure(info: unknown): AuthenticationFailure {
  const challenges = Array.isArray(info) ? info : [info];
  for (const challenge of challenges) {
    if (challenge instanceof AuthenticationFailure) return challenge;
    if (!(challenge instanceof Error) || challenge.message === 'No auth token') continue;
    if (challenge.name === 'TokenExpiredError') return new AuthenticationFailure('TOKEN_EXPIRED', 'Access token expired');
    return new AuthenticationFailure('UNAUTHORIZED', `Access token rejected: ${challenge.message}`);
  }
  return new AuthenticationFailure('UNAUTHORIZED', 'No credentials: send an access token (Authorization: Bearer) or the session cookie');
}
