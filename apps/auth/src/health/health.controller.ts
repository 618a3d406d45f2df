import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { HealthReport, LivenessReport, ReadinessReport } from '@app/contracts';
import { probeRedis, REDIS_CLIENT, type RedisClient } from '@app/redis';
import type { Response } from 'express';

/**
 * `/health/live`: the process answers (it asks nothing of Redis, so an outage never gets the app restarted).
 * `/health/ready`: Redis answers a PING, so requests can be served (503 otherwise, the process still up).
 * `/health`: the original check, kept as documented (200 while Redis answers, 503 otherwise).
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {}

  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const redis = await probeRedis(this.redis);
    response.status(redis === 'ready' ? 200 : 503);
    return { status: redis === 'ready' ? 'ok' : 'degraded', redis };
  }

  @Get('live')
  live(): LivenessReport {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessReport> {
    const redis = await probeRedis(this.redis);
    response.status(redis === 'ready' ? 200 : 503);
    return { status: redis === 'ready' ? 'ready' : 'not_ready', redis };
  }
}
