import { HttpException, HttpStatus } from '@nestjs/common';
import { errorCodeForStatus, type ErrorCode } from '@app/contracts';
import { isRedisUnavailableError } from '@app/redis';

/** An error that already knows the stable code clients should see. */
export interface CodedError {
  code: ErrorCode;
}

export interface KnownError {
  statusCode: number;
  message: string;
  code?: ErrorCode;
}

function hasErrorCode(value: unknown): value is CodedError {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';
}

/**
 * What clients are told about an error we expect: an HttpException (its message and code, or the code of its
 * status) or Redis being unreachable (503, retry). `undefined` for anything else, which is a bug to log.
 * Shared by the HTTP filter and the gateway's acknowledgement filter, so both speak the same codes.
 */
export function describeKnownError(exception: unknown): KnownError | undefined {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const payload = exception.getResponse();
    const message = typeof payload === 'string' ? payload : ((payload as { message?: unknown }).message ?? exception.message);
    const code = hasErrorCode(payload) ? payload.code : errorCodeForStatus(statusCode);
    return { statusCode, message: Array.isArray(message) ? message.join('; ') : String(message), code };
  }
  if (isRedisUnavailableError(exception)) {
    return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: 'Session store unavailable, retry shortly', code: 'UNAVAILABLE' };
  }
  return undefined;
}
