export type { SessionwireOptions, SessionwireSocketData } from '@sessionwire/server';
export { Sessionwire } from './sessionwire';
export { SessionwireIoAdapter, type SessionwireIoAdapterOptions } from './sessionwire-io.adapter';
export { SessionwireSession } from './sessionwire-session.decorator';
export { SessionwireModule } from './sessionwire.module';
export { SESSIONWIRE_OPTIONS, type SessionwireModuleAsyncOptions, type SessionwireModuleOptions } from './sessionwire.module-definition';
