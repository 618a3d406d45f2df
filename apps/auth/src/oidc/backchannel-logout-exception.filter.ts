import { Catch, type ArgumentsHost } from '@nestjs/common';
import type { BackchannelLogoutErrorBody } from '@app/contracts';
import { ApiExceptionFilter } from '@app/http';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { BackchannelLogoutRefusal, IssuerKeysUnavailableError } from './backchannel-logout-errors';

/**
 * The answers of `POST /oidc/backchannel-logout`, never cached (section 2.8): a refusal in the usual error shape plus
 * OAuth's `error` (`invalid_request` for a 400) and `error_description`; the issuer's keys out of reach as Redis out of
 * reach (503, retry); anything else as every other route answers it.
 */
@Catch()
export class BackchannelLogoutExceptionFilter extends ApiExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    response.setHeader('Cache-Control', 'no-store');
    if (exception instanceof BackchannelLogoutRefusal) {
      // The rest of an oversized body is not read: the connection closes after the answer.
      if (exception.status === 413) response.setHeader('Connection', 'close');
      response.status(exception.status).json(refusalBody(exception));
      return;
    }
    if (exception instanceof IssuerKeysUnavailableError) {
      response.setHeader('Retry-After', '1');
      const body: BackchannelLogoutErrorBody = {
        statusCode: 503,
        error: STATUS_CODES[503] as string,
        message: 'The issuer\'s keys could not be fetched, retry shortly',
        error_description: 'The issuer\'s keys could not be fetched, retry shortly',
        code: 'UNAVAILABLE',
      };
      response.status(503).json(body);
      return;
    }
    super.catch(exception, host);
  }
}

function refusalBody({ status, code, message }: BackchannelLogoutRefusal): BackchannelLogoutErrorBody {
  return { statusCode: status, error: status === 400 ? 'invalid_request' : (STATUS_CODES[status] as string), error_description: message, message, code };
}
