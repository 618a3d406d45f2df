import { z } from 'zod';
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
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!response.ok) throw new DiscoveryError(`GET ${url} answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    throw new DiscoveryError(`GET ${url} failed: ${(error as Error).message}`);
  }
  const parsed = discoveryDocumentSchema.safeParse(body);
  if (!parsed.success) throw new DiscoveryError(`${url} is not a discovery document: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.issuer !== issuer) throw new UntrustedDiscoveryError(`${url} names issuer ${parsed.data.issuer}, not ${issuer}`);
  return parsed.data;
}

/** The issuer's JWKS URI: configured, or discovered. */
export async function jwksUriOf(issuer: Pick<TrustedIssuer, 'issuer' | 'jwksUri'>, timeoutMs: number): Promise<string> {
  return issuer.jwksUri ?? (await discover(issuer.issuer, timeoutMs)).jwks_uri;
}
