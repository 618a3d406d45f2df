import { Controller, Get, Inject, Res } from '@nestjs/common';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import type { Response } from 'express';

export interface HealthReport {
  status: 'ok' | 'degraded';
  redis: string;
}

/** Liveness and readiness in one: 200 while Redis answers a PING, 503 (process still up) while it does not. */
@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {}

  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const redis = await this.redis.ping().then(
      () => 'ready',
      () => this.redis.status,
    );
    const status = redis === 'ready' ? 'ok' : 'degraded';
    response.status(status === 'ok' ? 200 : 503);
    return { status, redis };
  }
}
