import { Controller, Get, Inject, Res } from '@nestjs/common';
import { probeRedis, REDIS_CLIENT, type RedisClient } from '@app/redis';
import type { Response } from 'express';
import { Sessionwire } from '@sessionwire/nest';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';

export interface GatewayHealthReport {
  status: 'ok' | 'degraded';
  nodeId: string;
  redis: string;
  subscriber: string;
  connections: number;
}

export interface GatewayLivenessReport {
  status: 'ok';
  nodeId: string;
}

export interface GatewayReadinessReport {
  status: 'ready' | 'not_ready';
  nodeId: string;
  redis: string;
  subscriber: string;
  draining: boolean;
}

/**
 * The session layer's state comes from the sessionwire handle; Redis is probed with a PING on the command
 * connection the handle shares with the demo's events (its connection status alone misses a Redis that hangs).
 * `/health/live`: the process answers (nothing else is asked: during a Redis outage the node keeps its sockets
 * on purpose, and must not be restarted for it). `/health/ready`: the node takes new connections: Redis answers
 * a PING, the `user-logged-out` subscription is up and the node is not draining. `/health`: the original check,
 * kept as documented (200 while Redis and the subscription are up, 503 otherwise).
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly wire: Sessionwire,
  ) {}

  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<GatewayHealthReport> {
    const redis = await probeRedis(this.redis);
    const { subscriber } = this.wire.status();
    const status = redis === 'ready' && subscriber === 'ready' ? 'ok' : 'degraded';
    response.status(status === 'ok' ? 200 : 503);
    return { status, nodeId: this.config.nodeId, redis, subscriber, connections: this.wire.localSockets().count() };
  }

  @Get('live')
  live(): GatewayLivenessReport {
    return { status: 'ok', nodeId: this.config.nodeId };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<GatewayReadinessReport> {
    const redis = await probeRedis(this.redis);
    // Read after the PING: a drain that started meanwhile counts.
    const { subscriber, draining } = this.wire.status();
    const status = redis === 'ready' && subscriber === 'ready' && !draining ? 'ready' : 'not_ready';
    response.status(status === 'ready' ? 200 : 503);
    return { status, nodeId: this.config.nodeId, redis, subscriber, draining };
  }
}
