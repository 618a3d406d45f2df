import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram, Registry } from 'prom-client';

/** Methods labelled by name; any other (Node parses some thirty) counts as `other`, so a client cannot add series. */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * `sessionwire_http_request_duration_seconds{route, method, status_class}`: every HTTP request the app answers,
 * from its arrival to the response flushed. `route` is the template of the controller route that took the request
 * (`/auth/sessions/:sessionId`), `unmatched` when none did: never the raw URL, whose path and query a client chooses.
 */
@Injectable()
export class HttpRequestMetrics {
  private readonly duration: Histogram<'route' | 'method' | 'status_class'>;
  private readonly routes = new WeakMap<Request, string>();

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
        this.duration.observe(
          {
            route: this.routes.get(request) ?? 'unmatched',
            method: LABELLED_METHODS.has(request.method) ? request.method : 'other',
            status_class: `${Math.floor(response.statusCode / 100)}xx`,
          },
          (performance.now() - startedAt) / 1000,
        );
      });
      next();
    };
  }

  /** Called by RouteTemplateGuard once a controller route took the request. */
  routeTaken(request: Request, template: string): void {
    this.routes.set(request, template);
  }
}

/**
 * The app's first guard (global), which only notes the template of the controller route a request reached: Express's
 * `req.route` is also set by Nest's catch-all middleware routes, so after the response it may name one of those
 * rather than a controller's, and by the guard stage it names the controller's. Guards run before any other guard of
 * the route, so a request refused by one (401, 403) is still counted under its route.
 */
@Injectable()
export class RouteTemplateGuard implements CanActivate {
  constructor(private readonly metrics: HttpRequestMetrics) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const template: unknown = (request.route as { path?: unknown } | undefined)?.path;
    if (typeof template === 'string') this.metrics.routeTaken(request, template);
    return true;
  }
}
