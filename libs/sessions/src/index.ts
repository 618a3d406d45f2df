export {
  formatRefreshToken,
  formatSessionCookie,
  parseRefreshToken,
  parseSessionCookie,
  secretMatches,
  type SessionSecretHolder,
} from './session-credentials';
export type { SessionOptions } from './session-options';
export { SessionStore, type NewSession, type RefreshRotation, type SessionRecord } from './session-store';
export { SessionsModule } from './sessions.module';
