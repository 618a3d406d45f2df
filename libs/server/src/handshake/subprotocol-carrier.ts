import { CredentialRefusal } from '@app/authentication';
import { SESSIONWIRE_SUBPROTOCOL, SUBPROTOCOL_BEARER_PREFIX } from '@app/contracts';
import type { IncomingMessage } from 'node:http';

/** ws's `handleProtocols`: the protocol to name in the 101 answer, or `false` for none. */
export type HandleProtocols = (protocols: Set<string>, request: IncomingMessage) => string | false;

/** The protocols a `Sec-WebSocket-Protocol` header offers (a comma-separated list; repeated headers arrive joined). */
export function offeredProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol.length > 0);
}

const isTokenCarrier = (protocol: string) => protocol.startsWith(SUBPROTOCOL_BEARER_PREFIX);

/**
 * The access token offered as a protocol, or undefined when none is. One token, next to the versioned name the
 * server will select; anything else is refused rather than guessed at.
 */
export function subprotocolToken(offered: readonly string[]): string | undefined {
  const carriers = offered.filter(isTokenCarrier);
  if (carriers.length === 0) return undefined;
  if (carriers.length > 1) throw new CredentialRefusal('UNAUTHORIZED', `Offer one ${SUBPROTOCOL_BEARER_PREFIX}<token> protocol, not ${carriers.length}`);
  if (!offered.includes(SESSIONWIRE_SUBPROTOCOL)) {
    throw new CredentialRefusal('UNAUTHORIZED', `Offer the ${SESSIONWIRE_SUBPROTOCOL} protocol next to the ${SUBPROTOCOL_BEARER_PREFIX}<token> one`);
  }
  const token = carriers[0].slice(SUBPROTOCOL_BEARER_PREFIX.length);
  if (token.length === 0) throw new CredentialRefusal('UNAUTHORIZED', `The ${SUBPROTOCOL_BEARER_PREFIX}<token> protocol carries no token`);
  return token;
}

/**
 * Wraps the WebSocket server's protocol choice so that the 101 answer names `sessionwire.v1` when offered and never a
 * token-carrying protocol (the answer would echo the credential to every proxy and log on the way). Other offers go
 * to the app's own choice, without the token, or else to the first one, as ws does by default.
 */
export function selectingProtocol(appHandleProtocols: HandleProtocols | undefined): HandleProtocols {
  return (protocols, request) => {
    if (protocols.has(SESSIONWIRE_SUBPROTOCOL)) return SESSIONWIRE_SUBPROTOCOL;
    const others = new Set([...protocols].filter((protocol) => !isTokenCarrier(protocol)));
    if (appHandleProtocols) return appHandleProtocols(others, request);
    return others.values().next().value ?? false;
  };
}
