import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { clientEvents, type ClientEventPayload } from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';

/** A valid `session:set` payload, with its value already serialized as it is stored. */
export type SessionSetCommand = ClientEventPayload<'session:set'> & {
  valueJson: string;
};

/**
 * `session:set`: refuses a value over `SESSION_DATA_MAX_VALUE_BYTES` of JSON before the schema walks it (its
 * depth is already bounded by `EventPayloadDepthLimit`), then validates the payload. The JSON measured is the
 * JSON stored, so a value is serialized once.
 */
@Injectable()
export class SessionSetPayloadPipe implements PipeTransform<unknown, SessionSetCommand> {
  private readonly schema = new ZodValidationPipe(clientEvents['session:set'].payload);

  constructor(@Inject(gatewayConfig.KEY) private readonly config: GatewayConfig) {}

  transform(input: unknown): SessionSetCommand {
    const value = typeof input === 'object' && input !== null ? (input as { value?: unknown }).value : undefined;
    const json = JSON.stringify(value) as string | undefined;
    const { maxValueBytes } = this.config.sessionData;
    if (json !== undefined && Buffer.byteLength(json) > maxValueBytes) {
      throw new WsException({ code: 'PAYLOAD_TOO_LARGE', message: `Values are limited to ${maxValueBytes} bytes of JSON` });
    }
    const payload = this.schema.transform(input);
    // The schema's copy of a value drops its `__proto__` keys (assigning one sets a prototype instead), and that
    // copy is what the session's sockets are sent: such a value is stored as the copy too. The text cannot hide
    // the key any other way: JSON.stringify never escapes `_`.
    const valueJson = json === undefined || json.includes('"__proto__"') ? JSON.stringify(payload.value) : json;
    return { ...payload, valueJson };
  }
}
