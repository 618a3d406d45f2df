import { roleSchema, sessionIdSchema, userIdSchema } from '@app/contracts';
import { z } from 'zod';

/** The JOSE `typ` of our access tokens (RFC 9068), so no other JWT can pass as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** The one algorithm we sign with and accept: ECDSA P-256 (jsonwebtoken, under passport-jwt, has no EdDSA). */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';

export const accessTokenClaimsSchema = z.object({
  sub: userIdSchema,
  sid: sessionIdSchema,
  jti: z.uuid(),
  iat: z.number().int(),
  exp: z.number().int(),
  nbf: z.number().int().optional(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  roles: z.array(roleSchema),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;
