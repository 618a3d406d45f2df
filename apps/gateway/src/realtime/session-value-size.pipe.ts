import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';

/**
 * `session:set`: refuses a value over `SESSION_DATA_MAX_VALUE_BYTES` of JSON before the schema walks it, so an
 * oversized value costs one JSON.stringify (its depth is already bounded by `EventPayloadDepthLimit`).
 */
@Injectable()
export class SessionValueSizePipe implements PipeTransform<unknown, unknown> {
  constructor(@Inject(gatewayConfig.KEY) private readonly config: GatewayConfig) {}

  transform(input: unknown): unknown {
    const value = typeof input === 'object' && input !== null ? (input as { value?: unknown }).value : undefined;
    const json = JSON.stringify(value) as string | undefined;
    const { maxValueBytes } = this.config.sessionData;
    if (json !== undefined && Buffer.byteLength(json) > maxValueBytes) {
      throw new WsException({ code: 'PAYLOAD_TOO_LARGE', message: `Values are limited to ${maxValueBytes} bytes of JSON` });
    }
    return input;
  }
}
