import { VerificationKeysUnavailable } from '@app/authentication';
import { discover, UntrustedDiscoveryError, type TrustedIssuer } from '@app/oidc';
import type { KeyLookup, KeyResolver } from '@app/tokens';
import type { KeyObject } from 'node:crypto';
import { JwksUnavailableError } from '../config/errors';
import type { SessionwireLogger } from '../config/logger';
import type { JwksTiming } from '../config/options';
import { RemoteVerificationKeys } from './remote-verification-keys';

/** The longest pause between two attempts to load an issuer's keys. */
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * An external issuer's keys, loaded in the background: its JWKS URI as configured or from its discovery document
 * (which must name exactly this issuer), then the JWKS, tried again with backoff until both load. Until then its
 * tokens are refused with `VerificationKeysUnavailable` (UNAVAILABLE at the handshake): one provider being down must
 * not keep a gateway from starting, nor take the auth service's own users with it.
 */
export class TrustedIssuerKeys implements KeyResolver {
  private remoteKeys: RemoteVerificationKeys | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly entry: string;
  /** Settles at the first load, or rejects at an untrusted discovery document before it. */
  private readonly firstLoad: Promise<void>;

  private constructor(
    readonly issuer: TrustedIssuer,
    index: number,
    private readonly timing: JwksTiming,
    private readonly logger: SessionwireLogger,
  ) {
    this.entry = `oidcIssuers.${index} (${issuer.name})`;
    this.firstLoad = new Promise((resolve, reject) => this.attempt(0, resolve, reject));
    // A refusal after start-up stopped waiting is logged by attempt(); nobody awaits it any more.
    this.firstLoad.catch(() => undefined);
  }

  /** Starts loading every issuer's keys. */
  static startAll(issuers: readonly TrustedIssuer[], timing: JwksTiming, logger: SessionwireLogger): TrustedIssuerKeys[] {
    return issuers.map((issuer, index) => new TrustedIssuerKeys(issuer, index, timing, logger));
  }

  /**
   * Waits, at most `waitMs`, until every issuer's keys have loaded; the ones that have not go on loading.
   * @throws JwksUnavailableError naming `oidcIssuers.<index>` and its name when a discovery document names another
   * issuer: a bad entry (or a lying provider), not an outage.
   */
  static async untilLoaded(all: readonly TrustedIssuerKeys[], waitMs: number, logger: SessionwireLogger): Promise<void> {
    let waited: NodeJS.Timeout | undefined;
    const waitOver = new Promise<void>((resolve) => (waited = setTimeout(resolve, waitMs)));
    try {
      await Promise.race([Promise.all(all.map((keys) => keys.firstLoad)), waitOver]);
    } finally {
      clearTimeout(waited);
    }
    for (const keys of all) {
      if (!keys.loaded) logger.warn(`The keys of ${keys.entry} are not loaded yet: its tokens are refused (UNAVAILABLE) until they are; still trying`);
    }
  }

  get loaded(): boolean {
    return this.remoteKeys !== undefined;
  }

  keyFor(header: KeyLookup): Promise<KeyObject | undefined> {
    if (!this.remoteKeys) return Promise.reject(new VerificationKeysUnavailable(`The keys of issuer ${this.issuer.name} are not loaded yet; retry shortly`));
    return this.remoteKeys.keyFor(header);
  }

  /** Stops trying to load the keys. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private attempt(attempt: number, loaded: () => void, refused: (error: Error) => void): void {
    this.load().then(
      (keys) => {
        if (this.stopped) return;
        this.remoteKeys = keys;
        if (attempt > 0) this.logger.info(`The keys of ${this.entry} are loaded`);
        loaded();
      },
      (error: Error) => {
        if (this.stopped) return;
        if (error instanceof UntrustedDiscoveryError) {
          const refusal = new JwksUnavailableError(`Refusing ${this.entry}: ${error.message}`);
          refused(refusal);
          // Refused at start; should the document change later, it is never trusted by this node.
          this.logger.error(refusal.message);
          return;
        }
        const delay = Math.min(250 * 2 ** attempt, MAX_RETRY_DELAY_MS);
        if (attempt === 0 || delay === MAX_RETRY_DELAY_MS) this.logger.warn(`Could not load the keys of ${this.entry} (${error.message}); trying again in ${delay} ms`);
        this.retry = setTimeout(() => this.attempt(attempt + 1, loaded, refused), delay);
        this.retry.unref();
      },
    );
  }

  private async load(): Promise<RemoteVerificationKeys> {
    const jwksUri = this.issuer.jwksUri ?? (await discover(this.issuer.issuer, this.timing.timeoutMs)).jwks_uri;
    return RemoteVerificationKeys.fetch({ url: jwksUri, ...this.timing, algorithms: this.issuer.algorithms }, this.logger);
  }
}
