import { z } from 'zod';

/** Building blocks for environment schemas: every value arrives as a string. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
      .transform((value) => value === 'true' || value === '1')
      .default(fallback),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  origins: (fallback: string) =>
    env.list(fallback).pipe(
      z.array(
        z
          .url({ protocol: /^https?$/, error: 'expected a comma-separated list of http(s) origins' })
          .transform((origin) => new URL(origin).origin),
      ),
    ),
  redisUrl: () => z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://…' }).default('redis://127.0.0.1:6379'),
  /** `host:port,host:port`: seed nodes of a Redis Cluster, or Sentinel addresses. */
  hostPorts: () =>
    env.list('').pipe(
      z.array(
        z
          .string()
          .regex(/^[^\s:,]+:\d{1,5}$/, 'expected a comma-separated list of host:port')
          .transform((item) => {
            const at = item.lastIndexOf(':');
            return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
          }),
      ),
    ),
  /**
   * A JSON value checked by `schema`; its problems are named by their path inside the value (`OIDC_ISSUERS.0.clientId`),
   * so a bad entry of a list is named with its index and field.
   */
  json: <Schema extends z.ZodType>(schema: Schema, fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((text, context): unknown => {
        try {
          return JSON.parse(text);
        } catch (error) {
          context.addIssue({ code: 'custom', message: `expected JSON (${(error as Error).message})` });
          return z.NEVER;
        }
      })
      .pipe(schema),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Express "trust proxy": `loopback`, a CIDR list, or a hop count. Only these peers may set X-Forwarded-*. */
  trustProxy: () => z.string().default('loopback'),
};
