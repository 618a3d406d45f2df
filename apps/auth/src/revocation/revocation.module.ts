import { Module } from '@nestjs/common';
import { SessionRevoker } from './session-revoker';

/** Ending sessions and announcing it on `user-logged-out`. */
@Module({ providers: [SessionRevoker], exports: [SessionRevoker] })
export class RevocationModule {}
