// The OpenAPI document served at /api/docs/openapi.json: valid OpenAPI 3 (swagger-parser), one
// operation for every route the route meta-spec knows (Nest's and the proxy's) with its method,
// each with the auth the guard enforces (public, a session, or a session or a key with the
// route's scope), request schemas derived from the DTOs' validation rules, and a viewer at
// /api/docs that loads nothing from another origin.
import { execFile } from 'node:child_process';
import type { OpenAPIV3 } from 'openapi-types';
import request from 'supertest';
import { API_KEY_FORBIDDEN_SCOPES } from '@codex-lb/shared';
import { startTestApp, type TestApp } from './support/app';
import { collectRoutes } from './support/routes';

type Operation = OpenAPIV3.OperationObject & Record<string, unknown>;

/**
 * swagger-parser loads an ES module that Jest's module system cannot require: it runs in a
 * plain Node process, which reads the document from its standard input.
 */
function validateOpenApi(document: unknown): Promise<string> {
  const script =
    "const parser = require('@apidevtools/swagger-parser'); let text = '';" +
    "process.stdin.on('data', (d) => (text += d)).on('end', () => parser.validate(JSON.parse(text))" +
    ".then(() => process.stdout.write('valid'), (e) => { process.stdout.write(String(e.message)); process.exit(1); }));";
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', script], { cwd: __dirname }, (error, stdout) =>
      error ? reject(new Error(`invalid OpenAPI document: ${stdout}`)) : resolve(stdout),
    );
    child.stdin!.end(JSON.stringify(document));
  });
}

/** A Nest path as OpenAPI writes it: `:id` and `*rest` become `{id}` and `{rest}`. */
const openApiPath = (path: string) => path.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document and viewer', () => {
  let app: TestApp;
  let document: OpenAPIV3.Document;

  beforeAll(async () => {
    app = await startTestApp();
    const response = await request(app.url).get('/api/docs/openapi.json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.body as OpenAPIV3.Document;
  });
  afterAll(async () => {
    await app?.close();
  });

  const operation = (method: string, path: string) =>
    (document.paths[path] as Record<string, Operation> | undefined)?.[method.toLowerCase()];

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(validateOpenApi(document)).resolves.toBe('valid');
  });

  it('lists every route of the app, the proxy included, with its method', () => {
    const routes = collectRoutes(app.instance.app);
    expect(routes.some((r) => r.apiKey)).toBe(true);
    const missing = routes
      .filter((route) => !operation(route.method, openApiPath(route.path)))
      .map((route) => route.key);
    expect(missing).toEqual([]);
    // Nothing the app does not serve.
    const known = new Set(routes.map((r) => `${r.method} ${openApiPath(r.path)}`));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.filter((key) => !known.has(key))).toEqual([]);
  });

  it("states each operation's auth as the guard enforces it", () => {
    expect(Object.keys(document.components?.securitySchemes ?? {}).sort()).toEqual(['apiKey', 'scimToken', 'session']);
    for (const route of collectRoutes(app.instance.app)) {
      const op = operation(route.method, openApiPath(route.path))!;
      if (route.scimToken) {
        expect([route.key, op.security]).toEqual([route.key, [{ scimToken: [] }]]);
      } else if (route.isPublic) {
        expect([route.key, op.security]).toEqual([route.key, []]);
      } else if (route.apiKey) {
        expect([route.key, op.security, op['x-api-key-scope']]).toEqual([route.key, [{ apiKey: [] }], 'proxy']);
      } else {
        const keyAllowed = !(API_KEY_FORBIDDEN_SCOPES as readonly string[]).includes(route.permission!);
        expect([route.key, op['x-required-permission']]).toEqual([route.key, route.permission]);
        expect([route.key, op.security]).toEqual([
          route.key,
          keyAllowed ? [{ session: [] }, { apiKey: [] }] : [{ session: [] }],
        ]);
        expect([route.key, op['x-api-key-scope']]).toEqual([route.key, keyAllowed ? route.permission : null]);
      }
    }
  });

  it('describes request bodies and query parameters from the DTO rules', () => {
    const create = operation('POST', '/api/api-keys')!;
    const ref = (
      (create.requestBody as OpenAPIV3.RequestBodyObject).content['application/json']
        .schema as OpenAPIV3.ReferenceObject
    ).$ref;
    const schema = document.components!.schemas![ref.split('/').pop()!] as OpenAPIV3.SchemaObject;
    expect(schema.required).toEqual(['name']);
    expect(schema.properties!.name).toMatchObject({ type: 'string', maxLength: expect.any(Number) });
    expect(schema.properties!.expiresAt).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    const scopes = schema.properties!.scopes as OpenAPIV3.ArraySchemaObject;
    expect(scopes.type).toBe('array');
    expect((scopes.items as OpenAPIV3.SchemaObject).enum).toEqual(expect.arrayContaining(['proxy', 'accounts:read']));
    const limits = schema.properties!.limits as OpenAPIV3.ArraySchemaObject;
    expect(limits.type).toBe('array');
    const limitRef = (limits.items as OpenAPIV3.ReferenceObject).$ref;
    const limit = document.components!.schemas![limitRef.split('/').pop()!] as OpenAPIV3.SchemaObject;
    expect(limit.properties!.kind).toMatchObject({ type: 'string', enum: expect.arrayContaining(['requests']) });
    expect(limit.properties!.max).toMatchObject({ type: 'number' });

    const list = operation('GET', '/api/users')!;
    const limitParam = (list.parameters as OpenAPIV3.ParameterObject[]).find((p) => p.name === 'limit');
    expect(limitParam).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 200 },
    });
    const byId = operation('GET', '/api/users/{id}')!;
    expect((byId.parameters as OpenAPIV3.ParameterObject[]).find((p) => p.name === 'id')).toMatchObject({
      in: 'path',
      required: true,
    });
    const codex = operation('POST', '/backend-api/codex/responses')!;
    expect(Object.keys((codex.responses['200'] as OpenAPIV3.ResponseObject).content!)).toContain('text/event-stream');
  });

  it('serves a viewer that loads only its own files', async () => {
    const page = await request(app.url).get('/api/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source).toMatch(/^\/api\/docs\//);
      await request(app.url).get(source).expect(200);
    }
    const init = await request(app.url).get('/api/docs/assets/init.js').expect(200);
    expect(init.text).toContain("url: '/api/docs/openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
    await request(app.url).get('/api/docs/assets/..%2Fpackage.json').expect(404);
    await request(app.url).get('/api/docs/assets/index.html').expect(404);
  });
});
