import { Global, Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { AuthMetrics } from './auth-metrics';
import { RegistryNodeMetrics } from './registry-node-metrics';

@Global()
@Module({ imports: [RegistryModule], providers: [AuthMetrics, RegistryNodeMetrics], exports: [AuthMetrics] })
export class AuthMetricsModule {}
