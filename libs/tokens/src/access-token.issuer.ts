import { randomUUID } from 'node:crypto';
import type { Role, SessionId, UserId } from '@app/contracts';
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_TYPE } from './access-token-claims';
import type { SigningKey } from './signing-key';

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
    private readonly key: SigningKey,
    private readonly options: AccessTokenIssuerOptions,
  ) {}

  async issue(subject: { userId: UserId; sessionId: SessionId; roles: Role[] }): Promise<IssuedAccessToken> {
    const token = await new SignJWT({ sid: subject.sessionId, roles: subject.roles })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.key.privateKey);
    return { token, expiresIn: this.options.ttlSeconds };
  }
}
