import { UnauthorizedException } from '@nestjs/common';
import { credentialRefusalOf, CredentialRefusal, type AuthenticationFailureCode } from './credential-verification';

export type { AuthenticationFailureCode } from './credential-verification';

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

  static of(refusal: CredentialRefusal): AuthenticationFailure {
    return new AuthenticationFailure(refusal.code, refusal.message);
  }
}

/**
 * Turns what passport reports for a failed attempt (passport-jwt hands jsonwebtoken's errors as
 * challenges; several strategies give an array) into one failure.
 */
export function toAuthenticationFailure(info: unknown): AuthenticationFailure {
  const challenges: unknown[] = Array.isArray(info) ? info : [info];
  // The first challenge that says something decides, as in `credentialRefusalOf`; a failure passes through as is.
  const decisive = challenges.find((challenge) => challenge instanceof Error && challenge.message !== 'No auth token');
  return decisive instanceof AuthenticationFailure ? decisive : AuthenticationFailure.of(credentialRefusalOf(info));
}

/** Runs a plain verification step, turning its refusal into the HTTP failure. */
export function failingAsAuthenticationFailure<Result>(step: () => Result): Result {
  try {
    return step();
  } catch (error) {
    throw error instanceof CredentialRefusal ? AuthenticationFailure.of(error) : error;
  }
}
