import { Module } from '@nestjs/common';
import { LoginLimitsModule } from '../login-limits/login-limits.module';
import { SessionRevoker } from './session-revoker';

/**
 * Ending sessions, announcing it on `user-logged-out`, and collecting the gateways' confirmations (all through
 * @sessionwire/revoke); when all of a user's sessions end, also forgetting the account's known login addresses.
 */
@Module({ imports: [LoginLimitsModule], providers: [SessionRevoker], exports: [SessionRevoker] })
export class RevocationModule {}
