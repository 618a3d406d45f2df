import { z } from 'zod';
import { fetchBounded } from './bounded-fetch';
import { providerUrlSchema, type TrustedIssuer } from './trusted-issuer';

const discoveryDocumentSchema = z.object({
  issuer: z.string(),
  jwks_uri: providerUrlSchema,
  backchannel_logout_supported: z.boolean().optional(),
});
export type DiscoveryDocument = z.infer<typeof discoveryDocumentSchema>;

/** The provider's discovery document could not be fetched or is not one for this issuer. */
export class DiscoveryError extends Error {
  override readonly name: string = 'DiscoveryError';
}

/**
 * The provider answered with a discovery document that must not be trusted (it names another issuer): a
 * misconfiguration or an attack, which asking again will not fix, unlike a provider that is down.
 */
export class UntrustedDiscoveryError extends DiscoveryError {
  override readonly name = 'UntrustedDiscoveryError';
}

/**
 * Reads `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0, section 4), which must name
 * exactly this issuer (section 4.3: a document for another issuer is refused, or a token could be routed to it).
 */
export async function discover(issuer: string, timeoutMs: number): Promise<DiscoveryDocument> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetchBounded(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!response.ok) throw new DiscoveryError(`GET ${url} answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    throw new DiscoveryError(`GET ${url} failed: ${(error as Error).message}`);
  }
  const parsed = discoveryDocumentSchema.safeParse(body);
  if (!parsed.success) throw new DiscoveryError(`${url} is not a discovery document: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.issuer !== issuer) throw new UntrustedDiscoveryError(`${url} names issuer ${parsed.data.issuer}, not ${issuer}`);
  const jwksUriProblem = discoveredJwksUriProblem(issuer, parsed.data.jwks_uri);
  if (jwksUriProblem !== undefined) throw new UntrustedDiscoveryError(`${url}: ${jwksUriProblem}`);
  return parsed.data;
}

/**
 * Why a discovered `jwks_uri` must not be fetched, or undefined: an https issuer's keys come over https too (the plain
 * http allowed on loopback is for a provider on the same machine, not for one on the network pointing us at our own
 * loopback services).
 */
export function discoveredJwksUriProblem(issuer: string, jwksUri: string): string | undefined {
  if (new URL(issuer).protocol === 'https:' && new URL(jwksUri).protocol !== 'https:') return `jwks_uri ${jwksUri} is not https, as the issuer is`;
  return undefined;
}

/** The issuer's JWKS URI: configured, or discovered. */
export async function jwksUriOf(issuer: Pick<TrustedIssuer, 'issuer' | 'jwksUri'>, timeoutMs: number): Promise<string> {
  return issuer.jwksUri ?? (await discover(issuer.issuer, timeoutMs)).jwks_uri;
}
