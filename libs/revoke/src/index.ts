export type { ExternalUserLoggedOut, RevocationConfirmation, SessionEndReason, SessionId, UserId, UserLoggedOut, UserLoggedOutAck } from '@app/contracts';
export { USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
export { MAX_PROVIDER_END_TTL_SECONDS, type EndProviderSessionsInput } from './end-provider-sessions-input';
export type { ConfirmOption, EndSessionsInput } from './end-sessions-input';
export { CallerSessionEndedError, DuplicateEventError, InvalidRevocationError, RevokerClosedError, SessionsChangingError } from './revoke-errors';
export { createRevoker, type EndProviderSessionsResult, type EndSessionsResult, type Revoker, type RevokerOptions } from './revoker';
