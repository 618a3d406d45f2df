import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { BackchannelLogoutController } from './backchannel-logout.controller';
import { LogoutTokenVerifier } from './logout-token.verifier';

/** The OpenID Connect endpoints of the auth service: the back-channel logout receiver for the trusted issuers. */
@Module({ imports: [RevocationModule], controllers: [BackchannelLogoutController], providers: [LogoutTokenVerifier] })
export class OidcModule {}
