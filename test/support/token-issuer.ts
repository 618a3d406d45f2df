import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { KeyObject } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Alg = 'RS256' | 'ES256' | 'EdDSA';
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/**
 * An OpenID Provider as the gateways see one: its discovery document and JWKS served over real HTTP (counting the JWKS
 * requests), and the keys to sign its access tokens with (jose: RS256, ES256, EdDSA).
 */
export class TestTokenIssuer {
  jwksRequests = 0;
  /** While true, the discovery document and the JWKS answer 503 (a provider that is down); JWKS requests still count. */
  down = false;
  /** Characters of padding added to the discovery document (`document`) or the JWKS (`jwks`): an oversized answer. */
  padding: { document?: number; jwks?: number } = {};
  private readonly published: JWK[] = [];
  private readonly signingKeys = new Map<string, { alg: Alg } & KeyPair>();

  private readonly server: HttpServer;
  /** Set once listening: `http://127.0.0.1:<port>`. */
  issuer = '';

  /** @param documentIssuer the issuer its discovery document names, when another one (a provider lying about who it is). */
  private constructor(private readonly documentIssuer?: string) {
    this.server = createServer((request, response) => {
      if (request.url === '/jwks') this.jwksRequests++;
      if (this.down) response.writeHead(503).end();
      else if (request.url === '/.well-known/openid-configuration') {
        const document = { issuer: this.documentIssuer ?? this.issuer, jwks_uri: `${this.issuer}/jwks`, padding: 'x'.repeat(this.padding.document ?? 0) };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      } else if (request.url === '/jwks') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.published, padding: 'x'.repeat(this.padding.jwks ?? 0) }));
      } else response.writeHead(404).end();
    });
  }

  static async start(options: { documentIssuer?: string } = {}): Promise<TestTokenIssuer> {
    const provider = new TestTokenIssuer(options.documentIssuer);
    await new Promise<void>((resolve) => provider.server.listen(0, '127.0.0.1', resolve));
    provider.issuer = `http://127.0.0.1:${(provider.server.address() as AddressInfo).port}`;
    return provider;
  }

  /** Generates a key and publishes it in the JWKS under `kid`. */
  async publish(alg: Alg, kid: string): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    this.published.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
    this.signingKeys.set(kid, { alg, privateKey, publicKey });
  }

  /** The PEM of a published key's public half (what an HMAC forgery uses as its secret). */
  publicPem(kid: string): string {
    return KeyObject.from(this.signingKeys.get(kid)!.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  /**
   * A token signed with the key `kid`: `sub` alice, `sid` session-a, `aud` api, 5 minutes; `claims` override.
   * `header.kid: false` leaves the kid out of the header.
   */
  sign(kid: string, claims: Record<string, unknown> = {}, header: { kid?: false } = {}): Promise<string> {
    const { alg, privateKey } = this.signingKeys.get(kid)!;
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: this.issuer, sub: 'alice', sid: 'session-a', aud: 'api', iat: now, exp: now + 300, ...claims };
    const defined = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
    return new SignJWT(defined).setProtectedHeader({ alg, ...(header.kid === false ? {} : { kid }), typ: 'JWT' }).sign(privateKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A JOSE header or payload segment, for hand-made (forged) tokens. */
export function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
