import { Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { NodeReportPublisher } from './node-report.publisher';

/** This node's report in Redis beside its heartbeat: what the operator console shows of it. */
@Module({ imports: [RegistryModule], providers: [NodeReportPublisher] })
export class NodeReportModule {}
