import { Controller, Get, Header, Inject } from '@nestjs/common';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.document';

/** `GET /openapi.json`: the HTTP API's OpenAPI 3.1 document, built once from the contracts' zod schemas. */
@Controller()
export class OpenApiController {
  private readonly document: OpenApiDocument;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.document = buildOpenApiDocument({ cookieName: config.cookie.name });
  }

  @Get('openapi.json')
  @Header('Cache-Control', 'public, max-age=300')
  openApi(): OpenApiDocument {
    return this.document;
  }
}
