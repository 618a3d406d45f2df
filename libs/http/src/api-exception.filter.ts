import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { errorCodeForStatus, type ErrorBody, type ErrorCode } from '@app/contracts';
import { isRedisUnavailableError } from '@app/redis';
import { describeKnownError } from './known-error';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';

/** An error that knows when the client may try again; sent as `Retry-After` (e.g. a rate limit). */
export interface RetryableError {
  retryAfterSeconds: number;
}

function retryAfterOf(exception: unknown): number | undefined {
  const seconds = (exception as Partial<RetryableError> | null)?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : undefined;
}

/**
 * body-parser / http-errors failures (malformed JSON, body too large) carry a safe 4xx `status`. The Express
 * adapter hands them over wrapped in an HttpException carrying the parser's own text (which quotes the
 * body), so the original is taken from `cause`.
 */
function clientError(exception: unknown): { status: number; type: string } | undefined {
  const error = (exception instanceof HttpException ? exception.cause : exception) as { status?: unknown; expose?: unknown; type?: unknown } | null;
  const status = error?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && error?.expose === true ? { status, type: String(error.type) } : undefined;
}

const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'Malformed JSON body',
  'entity.too.large': 'Request body too large',
};

/**
 * Every error leaves as `{statusCode, error, message, code}`: never a stack trace, never an HTML page.
 * Redis being unreachable is a 503 the client may retry, not a 500.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    const retryAfter = retryAfterOf(exception) ?? (body.statusCode === 503 ? 1 : undefined);
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    const client = clientError(exception);
    if (client) {
      return this.body(client.status, CLIENT_ERROR_MESSAGES[client.type] ?? STATUS_CODES[client.status] ?? 'Bad request', errorCodeForStatus(client.status));
    }
    const known = describeKnownError(exception);
    if (known) {
      if (isRedisUnavailableError(exception)) this.logger.warn(`Redis unavailable: ${(exception as Error).message}`);
      return this.body(known.statusCode, known.message, known.code);
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return this.body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error', 'INTERNAL');
  }

  private body(statusCode: number, message: string, code: ErrorCode | undefined): ErrorBody {
    return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code ? { code } : {}) };
  }
}
