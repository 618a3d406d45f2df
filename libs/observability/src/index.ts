export { loggerParams, REDACTED_PATHS, type LoggingOptions } from './logging';
export { MetricsModule } from './metrics.module';
export { HttpRequestMetrics } from './http-request-metrics';
