import { randomUUID } from 'node:crypto';
import type { Role, SessionId, UserId } from '@app/contracts';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYPE } from './access-token-claims';
import type { SigningKey } from './signing-key';

/** Where the issuer takes the key it signs with, at each token (it changes when the key rotates). */
export interface SigningKeySource {
  signingKey(): SigningKey;
}

export interface AccessTokenIssuerOptions {
  issuer: string;
  audience: string;
  /** @default 900 */
  ttlSeconds: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

/** Mints access tokens. Only the auth service holds a `SigningKey`; gateways can verify but never mint. */
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeySource,
    private readonly options: AccessTokenIssuerOptions,
  ) {}

  async issue(subject: { userId: UserId; sessionId: SessionId; roles: Role[] }): Promise<IssuedAccessToken> {
    const key = this.keys.signingKey();
    const token = await new SignJWT({ sid: subject.sessionId, roles: subject.roles })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(key.privateKey);
    return { token, expiresIn: this.options.ttlSeconds };
  }
}
