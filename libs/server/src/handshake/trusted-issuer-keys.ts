import { discover, type TrustedIssuer } from '@app/oidc';
import { JwksUnavailableError } from '../config/errors';
import type { SessionwireLogger } from '../config/logger';
import type { JwksTiming } from '../config/options';
import { RemoteVerificationKeys } from './remote-verification-keys';

/** An external issuer with its keys, ready to verify its tokens. */
export interface TrustedIssuerKeys {
  issuer: TrustedIssuer;
  keys: RemoteVerificationKeys;
}

/**
 * Loads every external issuer's keys at start, in parallel: its JWKS URI as configured or from its discovery document
 * (which must name exactly this issuer), then the JWKS. Either is retried until `waitMs` (the provider may still be
 * starting); then start-up fails naming the entry.
 * @throws JwksUnavailableError naming `oidcIssuers.<index>` and its name.
 */
export function loadTrustedIssuerKeys(issuers: readonly TrustedIssuer[], timing: JwksTiming, logger: SessionwireLogger): Promise<TrustedIssuerKeys[]> {
  return Promise.all(
    issuers.map(async (issuer, index) => {
      const entry = `oidcIssuers.${index} (${issuer.name})`;
      const jwksUri = issuer.jwksUri ?? (await discoveredJwksUri(issuer, entry, timing));
      const keys = await RemoteVerificationKeys.load(
        { url: jwksUri, ...timing, algorithms: issuer.algorithms, source: `the keys of ${entry} from ${jwksUri}`, waitOption: 'oidcKeys.waitMs' },
        logger,
      );
      return { issuer, keys };
    }),
  );
}

async function discoveredJwksUri(issuer: TrustedIssuer, entry: string, timing: JwksTiming): Promise<string> {
  const deadline = Date.now() + timing.waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return (await discover(issuer.issuer, timing.timeoutMs)).jwks_uri;
    } catch (error) {
      const delay = Math.min(100 * 2 ** attempt, 2000);
      if (Date.now() + delay > deadline) {
        throw new JwksUnavailableError(`Could not discover the JWKS of ${entry} within oidcKeys.waitMs=${timing.waitMs} ms: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
