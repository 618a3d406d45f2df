import { backchannelLogoutFormSchema } from '@app/contracts';
import type { Request } from 'express';
import { BackchannelLogoutRefusal, invalidLogoutRequest } from './backchannel-logout-errors';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The `logout_token` of a back-channel logout request (section 2.5: an `application/x-www-form-urlencoded` POST
 * body). The body is read here, not by a global parser: only this route takes a form, and a body over `limitBytes` is
 * refused without being buffered.
 */
export async function readLogoutToken(request: Request, limitBytes: number): Promise<string> {
  const mediaType = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (mediaType !== FORM) throw invalidLogoutRequest(415, `Expected a ${FORM} body`);
  const declared = Number(request.headers['content-length']);
  if (declared > limitBytes) throw invalidLogoutRequest(413, 'Request body too large');

  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Not destroyed when the limit stops the loop: that would cut the socket before the 413 goes out.
    for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw invalidLogoutRequest(413, 'Request body too large');
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BackchannelLogoutRefusal) throw error;
    // The client went away mid-body: its request, not a fault of ours.
    throw invalidLogoutRequest(400, 'The request body could not be read');
  }

  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  if (form.getAll('logout_token').length > 1) throw invalidLogoutRequest(400, 'logout_token is given more than once');
  const parsed = backchannelLogoutFormSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw invalidLogoutRequest(400, 'logout_token is missing');
  return parsed.data.logout_token;
}
