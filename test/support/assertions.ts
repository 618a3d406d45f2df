import type { ErrorBody, ErrorCode } from '@app/contracts';
import { STATUS_CODES } from 'node:http';
import type { JsonResponse } from './http';

/** A UUIDv4, as user ids are. */
export const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** 144 random bits, base64url, as session ids are. */
export const SESSION_ID = /^[A-Za-z0-9_-]{24}$/;

/**
 * Asserts an error response: its status, the exact `{statusCode, error, message, code}` JSON body (so no
 * `stack` or other field), and a message that is not a stack trace. Returns the body for message checks.
 */
export function expectError(response: JsonResponse, status: number, code: ErrorCode): ErrorBody {
  // Status and body in one assertion, so a wrong status shows the body that explains it.
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { statusCode: status, error: STATUS_CODES[status], message: expect.any(String), code },
  });
  expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  const body = response.body as ErrorBody;
  expect(body.message).not.toMatch(/\bat \/|\bat .+:\d+:\d+|node_modules/);
  return body;
}
