import { Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { LoginLimitsModule } from '../login-limits/login-limits.module';
import { RevocationConfirmations } from './revocation-confirmations';
import { SessionRevoker } from './session-revoker';

/**
 * Ending sessions, announcing it on `user-logged-out`, and collecting the gateways' confirmations; when all of a
 * user's sessions end, also forgetting the account's known login addresses.
 */
@Module({ imports: [RegistryModule, LoginLimitsModule], providers: [SessionRevoker, RevocationConfirmations], exports: [SessionRevoker] })
export class RevocationModule {}
