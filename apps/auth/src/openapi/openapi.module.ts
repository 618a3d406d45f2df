import { Module } from '@nestjs/common';
import { OpenApiController } from './openapi.controller';

/** Serves the HTTP API's contract. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
