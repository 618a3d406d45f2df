import { Module } from '@nestjs/common';
import { EventPayloadDepthLimit } from './event-payload-depth-limit';
import { EventRateLimiter } from './event-rate-limiter';
import { EventsGateway } from './events.gateway';

/** The demo's socket events and their per-socket limits (the session layer is @sessionwire/nest's). */
@Module({ providers: [EventsGateway, EventRateLimiter, EventPayloadDepthLimit] })
export class RealtimeModule {}
