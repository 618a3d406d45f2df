/** The largest discovery document or JWKS read from a provider: real ones are a few kilobytes. */
export const MAX_PROVIDER_ANSWER_BYTES = 256 * 1024;

/** A provider's answer was larger than `MAX_PROVIDER_ANSWER_BYTES`. */
export class ProviderAnswerTooLargeError extends Error {
  override readonly name = 'ProviderAnswerTooLargeError';
}

/**
 * `fetch` whose 200 answer is read whole, up to `maxBytes`: a broken or compromised provider cannot make a service
 * buffer an answer of any size. Another status is returned with its body unread (and cancelled). Usable as jose's
 * `customFetch`.
 */
export async function fetchBounded(url: string, init: RequestInit, maxBytes = MAX_PROVIDER_ANSWER_BYTES): Promise<Response> {
  const response = await fetch(url, init);
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    return response;
  }
  const tooLarge = () => new ProviderAnswerTooLargeError(`GET ${url} answered more than ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers: response.headers });
}
