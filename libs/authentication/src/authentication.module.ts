import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccessTokenStrategy } from './access-token.strategy';
import { ConfigurableAuthenticationModule } from './authentication-options';
import { SessionCookieStrategy } from './session-cookie.strategy';
import { SessionProof } from './session-proof';

/** The two passport strategies that verify a credential, and the proof that turns one into a `Principal`; available everywhere once the app configured it (`forRootAsync`). */
@Module({
  imports: [PassportModule],
  providers: [AccessTokenStrategy, SessionCookieStrategy, SessionProof],
  exports: [AccessTokenStrategy, SessionCookieStrategy, SessionProof],
})
export class AuthenticationModule extends ConfigurableAuthenticationModule {}
