import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram, Registry } from 'prom-client';

/** Methods labelled by name; any other (Node parses some thirty) counts as `other`, so a client cannot add series. */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * `sessionwire_http_request_duration_seconds{route, method, status_class}`: every HTTP request the app answers,
 * from its arrival to the response's end. `route` is the matched route's template (`/auth/sessions/:sessionId`),
 * `unmatched` when none matched: never the raw URL, whose path and query a client chooses.
 */
@Injectable()
export class HttpRequestMetrics {
  private readonly duration: Histogram<'route' | 'method' | 'status_class'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'sessionwire_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status class, from arrival to the end of the response',
      labelNames: ['route', 'method', 'status_class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  /** Express middleware; installed first (`app.use`), so requests its successors answer or refuse count too. */
  middleware(): (request: Request, response: Response, next: NextFunction) => void {
    return (request, response, next) => {
      const startedAt = performance.now();
      response.once('finish', () => {
        const route: unknown = (request.route as { path?: unknown } | undefined)?.path;
        this.duration.observe(
          {
            route: typeof route === 'string' ? route : 'unmatched',
            method: LABELLED_METHODS.has(request.method) ? request.method : 'other',
            status_class: `${Math.floor(response.statusCode / 100)}xx`,
          },
          (performance.now() - startedAt) / 1000,
        );
      });
      next();
    };
  }
}
