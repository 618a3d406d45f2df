import {
  connectionCountsSchema,
  errorBodySchema,
  healthReportSchema,
  jwksSchema,
  loginResponseSchema,
  meResponseSchema,
  sessionViewSchema,
  tokenPairSchema,
} from '@app/contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { z } from 'zod';
import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type RequestOptions } from '../support/http';

interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** A route as `METHOD /path/{param}`, the document's spelling. */
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean | undefined> };
}

/** Nest's answer to every request no handler took (the JSON 404), registered as a route for every method. */
const NOT_FOUND_HANDLER_PATH = '{/*splat}';

/** Every route the app really serves, read from the Express router the Nest app registered its handlers on. */
function servedRoutes(app: NestExpressApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap(({ route }) =>
    route && route.path !== NOT_FOUND_HANDLER_PATH
      ? Object.keys(route.methods).filter((method) => route.methods[method]).map((method) => routeKey(method, route.path))
      : [],
  );
}

function documentedRoutes(document: OpenApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((key) => HTTP_METHODS.has(key)).map((method) => routeKey(method, path)));
}

describe('GET /openapi.json: the HTTP API contract', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let document: OpenApiDocument;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
    const response = await request<OpenApiDocument>(auth.baseUrl, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    document = response.body;
  });

  afterAll(() => cleanup?.());

  it('documents every route the app serves, and no route it does not serve', () => {
    const served = servedRoutes(auth.app);
    const documented = documentedRoutes(document);
    // Guards against reading an empty or wrong router: the app's known routes are in it.
    expect(served).toEqual(expect.arrayContaining(['POST /auth/login', 'POST /oidc/backchannel-logout', 'GET /openapi.json']));

    expect({ undocumented: served.filter((route) => !documented.includes(route)), unserved: documented.filter((route) => !served.includes(route)) }).toEqual({
      undocumented: [],
      unserved: [],
    });
  });

  it('describes what the routes really answer: their answers parse with the schemas the document is generated from', async () => {
    const expectMatches = (schema: z.ZodType, body: unknown) => expect(schema.safeParse(body).error?.issues ?? []).toEqual([]);
    const admin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
    expectMatches(loginResponseSchema, (await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: TEST_AUTH_ENV.ADMIN_USERNAME, password: TEST_AUTH_ENV.ADMIN_PASSWORD } })).body);

    const asAdmin = { headers: bearer(admin.accessToken) };
    expectMatches(meResponseSchema, (await request(auth.baseUrl, 'GET', '/auth/me', asAdmin)).body);
    expectMatches(z.array(sessionViewSchema), (await request(auth.baseUrl, 'GET', '/auth/sessions', asAdmin)).body);
    expectMatches(connectionCountsSchema, (await request(auth.baseUrl, 'GET', '/admin/connections/count', asAdmin)).body);
    expectMatches(tokenPairSchema, (await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: admin.refreshToken } })).body);
    expectMatches(healthReportSchema, (await request(auth.baseUrl, 'GET', '/health')).body);
    expectMatches(jwksSchema, (await request(auth.baseUrl, 'GET', '/.well-known/jwks.json')).body);
    expectMatches(errorBodySchema, (await request(auth.baseUrl, 'GET', '/auth/me')).body);
  });

  it('lists the error codes the routes really answer, under their status', async () => {
    const admin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
    await registerUser(auth.baseUrl, 'openapi-user');
    const user = await login(auth.baseUrl, 'openapi-user');
    const unknownUser = '3b241101-e2bb-4255-8caf-4136c566a962';
    const form = (body: string, type = 'application/x-www-form-urlencoded'): RequestOptions => ({ rawBody: body, headers: { 'content-type': type } });
    // [method, documented path, requested path, options]
    const cases: Array<[string, string, string, RequestOptions]> = [
      ['POST', '/auth/register', '/auth/register', { json: {} }],
      ['POST', '/auth/register', '/auth/register', { json: { username: 'openapi-user', password: 'correct horse battery' } }],
      ['POST', '/auth/login', '/auth/login', { json: { username: 'openapi-user', password: 'wrong password!' } }],
      ['POST', '/auth/refresh', '/auth/refresh', { json: { refreshToken: 'not-a-token' } }],
      ['GET', '/auth/me', '/auth/me', {}],
      ['POST', '/auth/logout', '/auth/logout', { headers: { cookie: user.cookie } }],
      ['POST', '/auth/logout-all', '/auth/logout-all?confirm=maybe', { headers: bearer(user.accessToken) }],
      ['DELETE', '/auth/sessions/{sessionId}', '/auth/sessions/AAAAAAAAAAAAAAAAAAAAAAAA', { headers: bearer(user.accessToken) }],
      ['GET', '/admin/connections/count', '/admin/connections/count', { headers: bearer(user.accessToken) }],
      ['GET', '/admin/users', '/admin/users?username=', { headers: bearer(admin.accessToken) }],
      ['GET', '/admin/users/{userId}/sessions', '/admin/users/not-a-uuid/sessions', { headers: bearer(admin.accessToken) }],
      ['POST', '/admin/users/{userId}/revoke', `/admin/users/${unknownUser}/revoke`, { headers: bearer(admin.accessToken) }],
      ['POST', '/oidc/backchannel-logout', '/oidc/backchannel-logout', form('logout_token=x', 'text/plain')],
      ['POST', '/oidc/backchannel-logout', '/oidc/backchannel-logout', form('state=1')],
      ['POST', '/oidc/backchannel-logout', '/oidc/backchannel-logout', form('logout_token=not.a.jwt')],
    ];

    const answered = [];
    for (const [method, path, url, options] of cases) {
      const { status, body } = await request<{ code: string }>(auth.baseUrl, method, url, options);
      const documented = document.paths[path][method.toLowerCase()].responses[status]?.content?.['application/json']?.schema?.properties?.code?.enum ?? [];
      answered.push({ route: `${method} ${url}`, status, code: body.code, documented: documented.includes(body.code) });
    }
    expect(answered.filter((answer) => !answer.documented || answer.status < 400)).toEqual([]);
  });
});
