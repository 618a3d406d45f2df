import { buildOpenApiDocument } from './openapi.document';

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument({ cookieName: '__Host-sid' });

  it('is a valid OpenAPI 3.1 document', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    // As served: JSON.
    const result = await validator.validate(JSON.parse(JSON.stringify(document)) as Record<string, unknown>);

    expect(result.errors ?? []).toEqual([]);
    expect({ valid: result.valid, version: validator.version }).toEqual({ valid: true, version: '3.1' });
  });

  it('names the session cookie the service sets', () => {
    expect(document.components?.securitySchemes?.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Host-sid' });
  });
});
