import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AccessTokenStrategy } from './access-token.strategy';
import { ConfigurableAuthenticationModule } from './authentication-options';
import { SessionCookieStrategy } from './session-cookie.strategy';

/** Registers the two passport strategies that turn a credential into a `Principal`. */
@Module({
  imports: [PassportModule],
  providers: [AccessTokenStrategy, SessionCookieStrategy],
  exports: [AccessTokenStrategy, SessionCookieStrategy],
})
export class AuthenticationModule extends ConfigurableAuthenticationModule {}
