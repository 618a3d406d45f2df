/** The input of `endSessions` is not valid (a user id that is not a UUIDv4, a malformed session id, an unknown reason…). */
export class InvalidRevocationError extends Error {
  override readonly name = 'InvalidRevocationError';
  readonly code = 'INVALID_REVOCATION';
}

/** `endSessions` with `caller`: that session had ended (or holds another cookie), so nothing was ended. */
export class CallerSessionEndedError extends Error {
  override readonly name = 'CallerSessionEndedError';
  readonly code = 'CALLER_SESSION_ENDED';

  constructor(readonly sessionId: string) {
    super(`Session ${sessionId} has ended; nothing was revoked on its behalf`);
  }
}

/** Ending every session kept racing new logins of the user: the list read before the script was stale each time. */
export class SessionsChangingError extends Error {
  override readonly name = 'SessionsChangingError';
  readonly code = 'SESSIONS_CHANGING';

  constructor(userId: string, attempts: number) {
    super(`The sessions of user ${userId} changed during each of ${attempts} attempts to end them all; nothing was ended by the last attempt`);
  }
}

/** The revoker was closed. */
export class RevokerClosedError extends Error {
  override readonly name = 'RevokerClosedError';
  readonly code = 'REVOKER_CLOSED';

  constructor() {
    super('The revoker is closed');
  }
}

/** `endProviderSessions` with `eventId`: that event of the issuer was already acted on, so nothing was recorded or published. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  readonly code = 'DUPLICATE_EVENT';

  constructor(
    readonly issuer: string,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} of ${issuer} was already acted on; nothing was ended again`);
  }
}
