export { backoffDelay, type Backoff } from './backoff';
export {
  connect,
  SessionwireClient,
  type ClientEvents,
  type ClientState,
  type ConnectOptions,
  type SessionwireSocket,
  type SignedOutReason,
} from './sessionwire-client';
export { createTokenRefresher, RefreshRejectedError, RefreshUnavailableError, type TokenRefresherOptions } from './token-refresher';
export { MemoryTokenStore, type Tokens, type TokenStore } from './token-store';
