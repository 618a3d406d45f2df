// Reading a compact JWS (three base64url parts) without checking its signature: for choosing its issuer and key before
// the signature is verified, never for trusting it. As strict as jose's `decodeJwt`/`decodeProtectedHeader` (base64url
// alphabet, UTF-8, JSON objects) at a third of their cost: each handshake reads a token's header twice (the issuer's
// route, then the key).

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The protected header of a compact JWS, or `undefined` when it is not one or its header is not a JSON object. */
export function unverifiedHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  return parts.length === 3 ? jsonObjectOf(parts[0]) : undefined;
}

/** The header and claims of a compact JWS, or `undefined` when it is not one or either is not a JSON object. */
export function unverifiedJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = jsonObjectOf(parts[0]);
  const claims = jsonObjectOf(parts[1]);
  return header && claims ? { header, claims } : undefined;
}

function jsonObjectOf(part: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(part)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
