import { Controller, Get, Inject, Res } from '@nestjs/common';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import type { Response } from 'express';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { LocalSockets } from '../realtime/local-sockets';
import { UserLoggedOutSubscriber } from '../revocation/user-logged-out.subscriber';

export interface GatewayHealthReport {
  status: 'ok' | 'degraded';
  nodeId: string;
  redis: string;
  subscriber: string;
  connections: number;
}

/** 200 while Redis answers and the `user-logged-out` subscription is up; 503 otherwise (the node stays up). */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly subscriber: UserLoggedOutSubscriber,
    private readonly sockets: LocalSockets,
  ) {}

  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<GatewayHealthReport> {
    const redis = await this.redis.ping().then(
      () => 'ready',
      () => this.redis.status,
    );
    const subscriber = this.subscriber.status();
    const status = redis === 'ready' && subscriber === 'ready' ? 'ok' : 'degraded';
    response.status(status === 'ok' ? 200 : 503);
    return { status, nodeId: this.config.nodeId, redis, subscriber, connections: this.sockets.count() };
  }
}
