// Everything of @app/sessions that needs no Nest: the packages under libs/ bundle this file (their
// tsconfig.build.json maps @app/sessions here).
export {
  formatRefreshToken,
  formatSessionCookie,
  hashSecret,
  parseRefreshToken,
  parseSessionCookie,
  type SessionSecretHolder,
} from './session-credentials';
export type { SessionOptions } from './session-options';
export { ADMITTED_SESSION_FIELDS, sessionCheckLua, type SessionCheck, type SessionCheckPosition } from './session-check';
export {
  admittedSessionFromReply,
  ROTATE_REFRESH_LUA,
  sessionFromReply,
  SessionStore,
  type AdmittedSession,
  type NewSession,
  type RefreshRotation,
  type SessionRecord,
} from './session-store';
