import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface SessionOptions {
  /** A session unused for this long ends. @default 43200 (12 h) */
  idleTtlSeconds: number;
  /** A session ends this long after login, however active. @default 604800 (7 days) */
  absoluteTtlSeconds: number;
}

export const {
  ConfigurableModuleClass: ConfigurableSessionsModule,
  MODULE_OPTIONS_TOKEN: SESSION_OPTIONS,
} = new ConfigurableModuleBuilder<SessionOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
