import type { SessionClientToServerEvents, SessionServerToClientEvents, SocketEviction } from '@app/contracts';
import type { Server, Socket } from 'socket.io';

/** Any JSON value (session data values). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What the handshake proved, on `socket.data` for the socket's whole life. */
export interface SessionwireSocketData {
  /** Our user id; for a user of an external OpenID Provider, derived from (issuer, subject): `externalUserId`. */
  userId: string;
  /** Our session id; for an external provider's session, derived from (issuer, providerSessionId): `externalSessionId`. */
  sessionId: string;
  roles: string[];
  /** The `iss` of the credential: the auth service's `accessTokens.issuer`, or an `oidcIssuers` entry's `issuer`. */
  issuer: string;
  /** The issuer's id of the user: the provider's user id claim (`sub` by default); for the auth service's own, `userId`. */
  subject: string;
  /** The provider's session id (its `sid` claim); null for the auth service's sessions and tokens without one. */
  providerSessionId: string | null;
  /** Epoch ms at which the session started (an external provider's: `auth_time`, else `iat`). */
  sessionStartedAt: number;
  /** The session's data as loaded at the handshake; always `{}` for an external provider's session (it has no record). */
  sessionData: Record<string, JsonValue>;
  /** Epoch ms. */
  connectedAt: number;
  /** Epoch ms at which the socket's credential expires (the access token's `exp`; for the cookie, the session's end); `auth:refresh` moves it. */
  credentialExpiresAt: number;
}

/** Node ↔ node messages sessionwire sends through the app's adapter (`serverSideEmit`). */
export interface SessionwireInterServerEvents {
  /** Sockets evicted over the per-user limit, for every node to end (or to end when they connect). */
  'sockets:evicted': (evicted: SocketEviction[]) => void;
}

export type WireServer = Server<SessionClientToServerEvents, SessionServerToClientEvents, SessionwireInterServerEvents, SessionwireSocketData>;
export type WireSocket = Socket<SessionClientToServerEvents, SessionServerToClientEvents, SessionwireInterServerEvents, SessionwireSocketData>;

/** The rooms every socket joins at the handshake: its user's and its session's. */
export const sessionwireRooms = {
  user: (userId: string) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
};
