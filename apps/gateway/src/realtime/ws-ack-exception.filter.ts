import { ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Ack, ErrorCode } from '@app/contracts';
import { describeKnownError } from '@app/http';

/**
 * A failed event handler answers through the client's acknowledgement as `{ok: false, error: {code, message}}`
 * (or an `exception` event when the client sent no ack); the socket stays connected.
 */
@Catch()
export class WsAckExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger('WsEvents');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply: Ack = { ok: false, error: this.toError(exception) };
    const ack = host.getArgs().find((argument): argument is (reply: Ack) => void => typeof argument === 'function');
    if (ack) ack(reply);
    else host.switchToWs().getClient<{ emit(event: string, payload: unknown): void }>().emit('exception', reply.error);
  }

  private toError(exception: unknown): { code: ErrorCode; message: string } {
    if (exception instanceof WsException) {
      const error = exception.getError();
      if (typeof error === 'object' && error !== null && 'code' in error) return error as { code: ErrorCode; message: string };
      return { code: 'INVALID_INPUT', message: String(error) };
    }
    const known = describeKnownError(exception);
    if (known) return { code: known.code ?? 'INVALID_INPUT', message: known.message };
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { code: 'INTERNAL', message: 'Internal error' };
  }
}
