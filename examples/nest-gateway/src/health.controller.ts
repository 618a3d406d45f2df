import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Sessionwire } from '@sessionwire/nest';

/** 200 while this process takes sockets (Redis and the `user-logged-out` subscription up, not draining), else 503. */
@Controller('health')
export class HealthController {
  constructor(private readonly wire: Sessionwire) {}

  @Get('ready')
  ready(): { nodeId: string } {
    if (!this.wire.ready()) throw new ServiceUnavailableException(`${this.wire.nodeId} is not ready`);
    return { nodeId: this.wire.nodeId };
  }
}
