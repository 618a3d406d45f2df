import type { KeyObject } from 'node:crypto';
import type { AccessTokenVerificationConfig } from '@app/config';
import { decodeProtectedHeader } from 'jose';
import type { SecretOrKeyProvider } from 'passport-jwt';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from './access-token-claims';
import type { KeyResolver } from './verification-keys';

/** Why a token was refused before its signature was checked. */
export class UnacceptableTokenHeaderError extends Error {
  override readonly name = 'UnacceptableTokenHeaderError';
}

/** passport-jwt options besides the extractor: the algorithm is pinned; `iss` and `aud` checked (`exp`, `nbf` always are). */
export function accessTokenVerifyOptions(config: AccessTokenVerificationConfig): {
  algorithms: (typeof ACCESS_TOKEN_ALGORITHM)[];
  issuer: string;
  audience: string;
} {
  return { algorithms: [ACCESS_TOKEN_ALGORITHM], issuer: config.issuer, audience: config.audience };
}

/**
 * passport-jwt `secretOrKeyProvider`: picks the key by `kid` (a remote JWKS may refetch first). Tokens without a `kid`, with an unknown one,
 * or with another `typ` or `alg` (`none` included) are refused here, before any signature work.
 */
export function keyProviderFor(keys: KeyResolver): SecretOrKeyProvider {
  return (_request, rawToken: string, done) => {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(rawToken);
    } catch {
      return done(new UnacceptableTokenHeaderError('malformed token'));
    }
    if (header.alg !== ACCESS_TOKEN_ALGORITHM) return done(new UnacceptableTokenHeaderError(`alg ${String(header.alg)} not accepted`));
    if (header.typ !== ACCESS_TOKEN_TYPE) return done(new UnacceptableTokenHeaderError('not an access token'));
    if (typeof header.kid !== 'string') return done(new UnacceptableTokenHeaderError('token has no kid'));
    keys.keyFor({ alg: ACCESS_TOKEN_ALGORITHM, kid: header.kid }).then(
      (key: KeyObject | undefined) => {
        if (!key) return done(new UnacceptableTokenHeaderError('unknown kid'));
        // jsonwebtoken accepts a KeyObject; the published types only list string | Buffer.
        return done(null, key as unknown as Buffer);
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
