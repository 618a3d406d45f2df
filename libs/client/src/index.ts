export { backoffDelay, type Backoff } from './backoff';
export type {
  Ack,
  ErrorCode,
  HandshakeErrorCode,
  SessionClientToServerEvents,
  SessionServerToClientEvents,
  SocketEndReason,
} from '@app/contracts';
export {
  connect,
  SessionwireClient,
  type ClientEvents,
  type ClientState,
  type ConnectOptions,
  type EventsMap,
  type SessionwireSocket,
  type SignedOutReason,
  type UntypedEvents,
  type WithSessionEvents,
} from './sessionwire-client';
export { createTokenRefresher, RefreshRejectedError, RefreshUnavailableError, type TokenRefresherOptions } from './token-refresher';
export { MemoryTokenStore, type Tokens, type TokenStore } from './token-store';
