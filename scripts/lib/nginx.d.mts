// Types for nginx.mjs, so the TypeScript test harness renders the template with the launcher's own code.

export function socketIoClientDist(): string;

export function renderTemplate(template: string, values: Record<string, string | undefined>): string;

export function upstreamServers(addresses: readonly string[], parameters?: string): string;

export const GATEWAY_SERVER_PARAMETERS: string;

export interface LocalNginxConfigOptions {
  templateFile: string;
  prefix: string;
  /** `host:port` (or `port`) for the `listen` directive. */
  listen: string;
  authAddress: string;
  gatewayAddresses: readonly string[];
  demoRoot: string;
  /** Served at /vendor/. @default dist/client (the client SDK bundle, `npm run build:client`) */
  vendorRoot?: string;
  /** PEM files: serve https and wss on `listen`. @default plain HTTP */
  tls?: TlsFiles;
  /** The local OpenID Provider's `host:port`, served at /idp/ (its issuer's path). @default none: no /idp/ route */
  oidcProviderAddress?: string;
}

export interface TlsFiles {
  cert: string;
  key: string;
}

export function tlsDirectives(tls?: TlsFiles): string;

export function oidcProviderLocation(address?: string): string;

/** Resolves with the path of the rendered nginx.conf. */
export function writeLocalNginxConfig(options: LocalNginxConfigOptions): Promise<string>;

export function nginxArgs(prefix: string): string[];

export function testNginxConfig(nginx: string, prefix: string): void;
