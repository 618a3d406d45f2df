export {
  formatRefreshToken,
  formatSessionCookie,
  hashSecret,
  parseRefreshToken,
  parseSessionCookie,
  type SessionSecretHolder,
} from './session-credentials';
export type { SessionOptions } from './session-options';
export { sessionCheckLua, type SessionCheck, type SessionCheckPosition } from './session-check';
export { sessionFromReply, SessionStore, type NewSession, type RefreshRotation, type SessionRecord } from './session-store';
export { SessionsModule } from './sessions.module';
