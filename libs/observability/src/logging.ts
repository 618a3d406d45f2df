import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Credentials travel in these places; pino replaces them with "[redacted]" so that no token, cookie or
 * password ever reaches a log line, whatever a handler chooses to log.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
];

export interface LoggingOptions {
  service: string;
  level: string;
  /** Extra fields on every line, e.g. the gateway's node id. */
  base?: Record<string, string>;
}

/** nestjs-pino options: JSON lines, a request id (propagated from `X-Request-Id` when well-formed). */
export function loggerParams({ service, level, base }: LoggingOptions): Params {
  return {
    // Fields a handler adds with `PinoLogger.assign` go on its request's one "request completed" line.
    assignResponse: true,
    pinoHttp: {
      level,
      base: { service, ...base },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req: IncomingMessage, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url?.split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
      },
    },
  };
}
