import { Logger, Module } from '@nestjs/common';
import { createSessionwire, type SessionwireLogger, type SessionwireOptions } from '@sessionwire/server';
import { Sessionwire } from './sessionwire';
import { SessionwireLifecycle } from './sessionwire.lifecycle';
import { ConfigurableSessionwireModule, SESSIONWIRE_OPTIONS } from './sessionwire.module-definition';

/**
 * sessionwire's log lines through the application's Nest logger (and so its format and level). sessionwire logs
 * pino-style, `(object, message)`; Nest's second argument is a context, so the message goes into the object as `msg`
 * (a structured logger such as nestjs-pino keeps the fields; Nest's console logger prints the object).
 */
function nestLogger(): SessionwireLogger {
  const logger = new Logger('Sessionwire');
  const entry = (objectOrMessage: object | string, message?: string): object | string =>
    typeof objectOrMessage === 'string' || message === undefined ? objectOrMessage : { ...objectOrMessage, msg: message };
  return {
    debug: (objectOrMessage, message) => logger.debug(entry(objectOrMessage, message)),
    info: (objectOrMessage, message) => logger.log(entry(objectOrMessage, message)),
    warn: (objectOrMessage, message) => logger.warn(entry(objectOrMessage, message)),
    error: (objectOrMessage, message) => logger.error(entry(objectOrMessage, message)),
  };
}

/**
 * sessionwire for a Nest application (global): `SessionwireModule.forRoot(options)` or
 * `SessionwireModule.forRootAsync({ inject: [ConfigService], useFactory: (config) => options })`. Provides the
 * `Sessionwire` handle, created (Redis connected, JWKS loaded, `user-logged-out` subscribed) before the application
 * starts; the sockets are drained on shutdown. Serve the gateways with `SessionwireIoAdapter`.
 */
@Module({
  providers: [
    {
      provide: Sessionwire,
      inject: [SESSIONWIRE_OPTIONS],
      // Logs go through Nest's logger unless the options name one.
      useFactory: (options: SessionwireOptions) => createSessionwire({ logger: nestLogger(), ...options }),
    },
    SessionwireLifecycle,
  ],
  exports: [Sessionwire],
})
export class SessionwireModule extends ConfigurableSessionwireModule {}
