// The API description and its viewer, public (they describe routes, never data). The viewer is
// Swagger UI from the swagger-ui-dist package, served from here: nothing is loaded from
// elsewhere (its content security policy says so), and it does not call a validator service.
import { Controller, Get, Param, Res, type INestApplication } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiError } from '../../common/api-error';
import { Public } from '../../common/decorators';
import { buildOpenApiDocument } from './openapi';

const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/docs/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    withCredentials: true,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codex-lb API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>
`;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function packageVersion(): string {
  try {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

@Controller('api/docs')
export class DocsController {
  private document: OpenAPIObject | null = null;
  private readonly assets = new Map<string, Buffer>();

  constructor(
    private readonly modules: ModulesContainer,
    private readonly config: ApplicationConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Swagger UI on the document below. */
  @Get()
  @Public()
  viewer(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP);
    return PAGE;
  }

  /** The OpenAPI 3 document, built once from the running app's routes. */
  @Get('openapi.json')
  @Public()
  openApi(): OpenAPIObject {
    this.document ??= this.build();
    return this.document;
  }

  /** The viewer's files, from swagger-ui-dist. */
  @Get('assets/:file')
  @Public()
  asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer | string {
    if (file === 'init.js') {
      void reply.header('content-type', ASSET_TYPES['swagger-ui-bundle.js']);
      return INIT_SCRIPT;
    }
    const type = Object.prototype.hasOwnProperty.call(ASSET_TYPES, file) ? ASSET_TYPES[file] : undefined;
    if (!type) throw ApiError.notFound('Asset');
    let content = this.assets.get(file);
    if (!content) {
      content = readFileSync(join(dirname(require.resolve('swagger-ui-dist/package.json')), file));
      this.assets.set(file, content);
    }
    void reply.header('content-type', type).header('cache-control', 'public, max-age=86400');
    return content;
  }

  /** SwaggerModule reads the container, the route config and the adapter of an application. */
  private build(): OpenAPIObject {
    const app = {
      container: { getModules: () => this.modules, isGlobalModule: () => false },
      config: this.config,
      getHttpAdapter: () => this.adapterHost.httpAdapter,
    } as unknown as INestApplication;
    return buildOpenApiDocument(app, this.modules, packageVersion());
  }
}
