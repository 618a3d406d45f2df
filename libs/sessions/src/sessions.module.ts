import { Module } from '@nestjs/common';
import { ConfigurableSessionsModule } from './session-options';
import { SessionStore } from './session-store';

/** The session store, configured once by the app (`SessionsModule.forRootAsync`) and available everywhere. */
@Module({ providers: [SessionStore], exports: [SessionStore] })
export class SessionsModule extends ConfigurableSessionsModule {}
