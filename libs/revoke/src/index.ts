export type { RevocationConfirmation, SessionEndReason, SessionId, UserId, UserLoggedOut, UserLoggedOutAck } from '@app/contracts';
export { USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
export type { EndSessionsInput } from './end-sessions-input';
export { CallerSessionEndedError, InvalidRevocationError, RevokerClosedError, SessionsChangingError } from './revoke-errors';
export { createRevoker, type EndSessionsResult, type Revoker, type RevokerOptions } from './revoker';
