import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SessionwireOptions } from '@sessionwire/server';

export const {
  ConfigurableModuleClass: ConfigurableSessionwireModule,
  MODULE_OPTIONS_TOKEN: SESSIONWIRE_OPTIONS,
  OPTIONS_TYPE: SESSIONWIRE_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE: SESSIONWIRE_MODULE_ASYNC_OPTIONS,
} = new ConfigurableModuleBuilder<SessionwireOptions>({ moduleName: 'Sessionwire' })
  .setClassMethodName('forRoot')
  // One handle per application: every gateway of the app shares its Redis connections and its registry entries.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();

/** `SessionwireModule.forRoot(options)`: the options of `createSessionwire`. */
export type SessionwireModuleOptions = typeof SESSIONWIRE_MODULE_OPTIONS;
/** `SessionwireModule.forRootAsync({ imports, inject, useFactory })`, e.g. with the app's ConfigService. */
export type SessionwireModuleAsyncOptions = typeof SESSIONWIRE_MODULE_ASYNC_OPTIONS;
