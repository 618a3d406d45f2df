import { Controller, Get, Global, Header, Module, Res } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Response } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HttpRequestMetrics, RouteTemplateGuard } from './http-request-metrics';

@Controller('metrics')
class MetricsController {
  constructor(private readonly registry: Registry) {}

  /** Sent with the registry's own content type: Prometheus 3 fails a scrape it cannot identify (Express would say text/html). */
  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.registry.contentType);
    return this.registry.metrics();
  }
}

/**
 * One Prometheus registry per application instance (not prom-client's global one), so several apps
 * in one test process do not collide. Features register their own metrics on the injected `Registry`. The app
 * installs `HttpRequestMetrics.middleware()` first thing (`app.use`), before any body parser; the module's global
 * guard names the route.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    HttpRequestMetrics,
    { provide: APP_GUARD, useClass: RouteTemplateGuard },
  ],
  exports: [Registry, HttpRequestMetrics],
})
export class MetricsModule {}
