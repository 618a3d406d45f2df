import { z } from 'zod';
import { env } from './env-schemas';
import { InvalidConfigError } from './invalid-config.error';
import { parseEnvironment } from './parse-environment';
import { sharedEnvSchema, toSharedConfig } from './shared-config';

describe('parseEnvironment', () => {
  const schema = z.object({ PORT: env.port(3000), SECURE: env.boolean(true), ORIGINS: env.origins('http://localhost:8080') });

  it('applies defaults, treating empty strings as unset', () => {
    expect(parseEnvironment(schema, { PORT: '', SECURE: undefined })).toEqual({ PORT: 3000, SECURE: true, ORIGINS: ['http://localhost:8080'] });
  });

  it('coerces and normalises values', () => {
    expect(parseEnvironment(schema, { PORT: '8081', SECURE: 'false', ORIGINS: 'https://a.example/, http://b.example:9000' })).toEqual({
      PORT: 8081,
      SECURE: false,
      ORIGINS: ['https://a.example', 'http://b.example:9000'],
    });
  });

  it('names every bad variable and what it received', () => {
    const attempt = () => parseEnvironment(schema, { PORT: 'abc', SECURE: 'yes', ORIGINS: 'ftp://x' });
    expect(attempt).toThrow(InvalidConfigError);
    expect(attempt).toThrow(/PORT: .*\(got "abc"\)/);
    expect(attempt).toThrow(/SECURE: expected true or false/);
    expect(attempt).toThrow(/ORIGINS/);
  });

  it('never echoes secret values', () => {
    const secrets = z.object({ ADMIN_PASSWORD: z.string().min(8) });
    expect(() => parseEnvironment(secrets, { ADMIN_PASSWORD: 'short' })).toThrow(/^(?![\s\S]*short")/);
  });
});

describe('toSharedConfig', () => {
  it('picks the __Host- cookie only when secure', () => {
    expect(toSharedConfig(parseEnvironment(sharedEnvSchema, {})).cookie).toEqual({ name: '__Host-sid', secure: true });
    expect(toSharedConfig(parseEnvironment(sharedEnvSchema, { COOKIE_SECURE: 'false' })).cookie).toEqual({ name: 'sid', secure: false });
  });

  it('refuses a non-redis REDIS_URL', () => {
    expect(() => parseEnvironment(sharedEnvSchema, { REDIS_URL: 'http://localhost:6379' })).toThrow(/REDIS_URL/);
  });

  it('reads the Redis topology, standalone by default', () => {
    expect(toSharedConfig(parseEnvironment(sharedEnvSchema, {})).redis).toMatchObject({ topology: 'standalone', url: 'redis://127.0.0.1:6379' });
    const cluster = toSharedConfig(parseEnvironment(sharedEnvSchema, { REDIS_TOPOLOGY: 'cluster', REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001' }));
    expect(cluster.redis).toMatchObject({ topology: 'cluster', clusterNodes: [{ host: 'redis-1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] });
  });

  it('refuses a cluster or sentinel topology without its nodes, and malformed addresses', () => {
    expect(() => toSharedConfig(parseEnvironment(sharedEnvSchema, { REDIS_TOPOLOGY: 'cluster' }))).toThrow(/REDIS_CLUSTER_NODES: required/);
    expect(() => toSharedConfig(parseEnvironment(sharedEnvSchema, { REDIS_TOPOLOGY: 'sentinel' }))).toThrow(/REDIS_SENTINELS: required/);
    expect(() => parseEnvironment(sharedEnvSchema, { REDIS_CLUSTER_NODES: 'redis-1' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => parseEnvironment(sharedEnvSchema, { REDIS_TOPOLOGY: 'ring' })).toThrow(/REDIS_TOPOLOGY/);
  });
});
