import { Global, Module } from '@nestjs/common';
import { AuthMetrics } from './auth-metrics';

@Global()
@Module({ providers: [AuthMetrics], exports: [AuthMetrics] })
export class AuthMetricsModule {}
