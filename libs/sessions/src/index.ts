export {
  formatRefreshToken,
  formatSessionCookie,
  hashSecret,
  parseRefreshToken,
  parseSessionCookie,
  type SessionSecretHolder,
} from './session-credentials';
export type { SessionOptions } from './session-options';
export { sessionFromReply, sessionKeys, SessionStore, TOUCH_SESSION_LUA, type NewSession, type RefreshRotation, type SessionRecord } from './session-store';
export { SessionsModule } from './sessions.module';
