import { Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { RevocationConfirmations } from './revocation-confirmations';
import { SessionRevoker } from './session-revoker';

/** Ending sessions, announcing it on `user-logged-out`, and collecting the gateways' confirmations. */
@Module({ imports: [RegistryModule], providers: [SessionRevoker, RevocationConfirmations], exports: [SessionRevoker] })
export class RevocationModule {}
