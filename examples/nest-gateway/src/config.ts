import type { SessionwireOptions } from '@sessionwire/server';

/** The example's settings: where it listens, and the sessionwire options, from environment variables. */
export interface ExampleConfig {
  port: number;
  sessionwire: SessionwireOptions;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export function loadConfig(): ExampleConfig {
  return {
    port: Number(process.env.PORT ?? 3101),
    sessionwire: {
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      nodeId: process.env.NODE_ID,
      allowedOrigins: required('ALLOWED_ORIGINS').split(','),
      accessTokens: { jwksUrl: required('AUTH_JWKS_URL'), issuer: 'sessionwire-auth', audience: 'sessionwire' },
    },
  };
}
