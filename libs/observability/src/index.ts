export { loggerParams, REDACTED_PATHS, type LoggingOptions } from './logging';
export { MetricsModule } from './metrics.module';
