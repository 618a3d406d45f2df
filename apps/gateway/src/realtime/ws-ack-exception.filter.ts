import { ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Ack, ErrorCode } from '@app/contracts';
import { describeKnownError } from '@app/http';

export interface EventError {
  code: ErrorCode;
  message: string;
}

/**
 * How a failed event is answered: through the client's acknowledgement as `{ok: false, error: {code, message}}`,
 * or with an `exception` event `{code, message}` when the client sent no ack. The socket stays connected.
 */
export function answerFailedEvent(client: { emit(event: string, payload: unknown): unknown }, ack: unknown, error: EventError): void {
  if (typeof ack === 'function') (ack as (reply: Ack) => void)({ ok: false, error });
  else client.emit('exception', error);
}

/** Every error a handler (or its guards and pipes) throws is answered by `answerFailedEvent`; only bugs are logged. */
@Catch()
export class WsAckExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger('WsEvents');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ack = host.getArgs().find((argument) => typeof argument === 'function');
    answerFailedEvent(host.switchToWs().getClient<{ emit(event: string, payload: unknown): void }>(), ack, this.toError(exception));
  }

  private toError(exception: unknown): EventError {
    if (exception instanceof WsException) {
      const error = exception.getError();
      if (typeof error === 'object' && error !== null && 'code' in error) return error as EventError;
      return { code: 'INVALID_INPUT', message: String(error) };
    }
    const known = describeKnownError(exception);
    if (known) return { code: known.code ?? 'INVALID_INPUT', message: known.message };
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { code: 'INTERNAL', message: 'Internal error' };
  }
}
