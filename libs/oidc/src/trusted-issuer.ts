import { z } from 'zod';

/**
 * Signature algorithms a trusted issuer may be allowed. Never `none`, never an HMAC: the keys come from a public JWKS,
 * and a public key used as an HMAC secret is the classic forgery.
 */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** An https URL, or http on a loopback host (a provider on the same machine, in development and tests). */
export const providerUrlSchema = z.url({ protocol: /^https?$/ }).refine((value) => {
  const url = new URL(value);
  return url.protocol === 'https:' || isLoopback(url.hostname);
}, 'expected an https URL (http only on localhost)');

/** A dotted path into the token's claims, e.g. `realm_access.roles`. */
const claimPathSchema = z.string().regex(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, 'expected a claim name or a dotted path such as realm_access.roles');

/** One OpenID Provider whose access tokens open sockets, as configured (JSON in `OIDC_ISSUERS`, or code). */
export const trustedIssuerSchema = z.strictObject({
  /** Short name for logs and metrics. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected 1-32 of a-z 0-9 _ - (starting with a letter or digit)'),
  /** The exact `iss` of its tokens (and of its discovery document). */
  issuer: providerUrlSchema,
  /** Its JWKS; when absent, read from `<issuer>/.well-known/openid-configuration` at start. */
  jwksUri: providerUrlSchema.optional(),
  /** The `aud` access tokens must carry to open a socket (the API / resource registered at the provider). */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Our client id at the provider: the `aud` of its back-channel logout tokens. Required to receive them. */
  clientId: z.string().min(1).optional(),
  algorithms: z.array(z.enum(ASYMMETRIC_ALGORITHMS, { error: `expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')} (never none, never HS*)` })).min(1).default(['RS256', 'ES256']),
  claims: z
    .strictObject({
      /**
       * The claim apps read as the user id (`socket.data.subject`). Sessions are still tracked per `sub`, which every
       * token must carry: logout tokens name users by `sub`.
       */
      userId: claimPathSchema.default('sub'),
      /** The claim holding the provider's session id; tokens without it end only with every session of their user. */
      sessionId: claimPathSchema.default('sid'),
      /** Where the roles are (an array of strings, or one string); none when absent. */
      roles: claimPathSchema.optional(),
    })
    .default({ userId: 'sub', sessionId: 'sid' }),
  /** Tolerance on `exp`, `nbf` and `iat` for clocks that differ. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
  /**
   * The longest `exp - iat` accepted; longer-lived tokens are refused. Ended sessions are remembered this long (plus
   * the skew), so no token issued before a logout can outlive the record of it.
   */
  maxTokenLifetimeSeconds: z.number().int().positive().max(86_400).default(3600),
}).refine((entry) => entry.clientId === undefined || ![entry.audience].flat().includes(entry.clientId), {
  path: ['audience'],
  message: "must not include clientId: ID tokens and logout tokens carry the client id as aud, and must not open sockets; set the API's audience",
});
export type TrustedIssuerInput = z.input<typeof trustedIssuerSchema>;
export type TrustedIssuer = z.output<typeof trustedIssuerSchema>;

export const trustedIssuersSchema = z
  .array(trustedIssuerSchema)
  .superRefine((issuers, context) => {
    for (const key of ['name', 'issuer'] as const) {
      const seen = new Set<string>();
      issuers.forEach((entry, index) => {
        if (seen.has(entry[key])) context.addIssue({ code: 'custom', path: [index, key], message: `duplicate ${key} ${entry[key]}` });
        seen.add(entry[key]);
      });
    }
  });

/** How long an ended session of this issuer must be remembered: no token issued before the end outlives the record. */
export function endedSessionTtlSeconds(issuer: Pick<TrustedIssuer, 'maxTokenLifetimeSeconds' | 'clockSkewSeconds'>): number {
  return issuer.maxTokenLifetimeSeconds + 2 * issuer.clockSkewSeconds;
}

/** The value at a dotted claim path, or undefined. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
