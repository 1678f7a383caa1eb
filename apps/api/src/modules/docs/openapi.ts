// The OpenAPI 3 document of the whole HTTP surface: the dashboard API as Nest knows it (routes
// and DTO schemas through @nestjs/swagger, the schemas derived from the validation rules), each
// operation's auth from the same @Public/@RequirePermission metadata the global guard enforces,
// and the proxy's routes from the table they are registered from (they are not Nest routes).
import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_FORBIDDEN_SCOPES, type Permission } from '@codex-lb/shared';
import { PERMISSION_KEY, PUBLIC_KEY } from '../../common/decorators';
import { SESSION_COOKIE_BASE } from '../../common/session-cookie';
import { PROXY_ROUTES, type ProxyRoute } from '../proxy/proxy-http';
import { SCIM_TOKEN_KEY } from '../scim/scim-auth.guard';
import { applyValidationSchemas } from './validation-schemas';

type Operation = Record<string, unknown> & { operationId?: string; security?: unknown; tags?: string[] };
type PathItem = Record<string, Operation>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

interface Access {
  isPublic: boolean;
  permission?: Permission;
  /** SCIM (/scim/v2): public to the dashboard's guard, opened only by a SCIM token. */
  scimToken?: boolean;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable error code (libs/shared/src/errors.ts).' },
        message: { type: 'string' },
        details: { description: 'Per-field problems of a validation error, and similar.' },
        requestId: { type: 'string', description: 'On 500s: the id of the server log line.' },
      },
    },
  },
};

const OPENAI_ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'string', nullable: true },
        param: { type: 'string', nullable: true },
      },
    },
  },
};

/** Access metadata per `Controller_handler` (the operation ids used below). */
function accessByOperation(modules: ModulesContainer): Map<string, Access> {
  const access = new Map<string, Access>();
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] === undefined) continue;
        const read = <T>(key: string) =>
          (Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller)) as T | undefined;
        access.set(`${controller.name}_${name}`, {
          isPublic: read<boolean>(PUBLIC_KEY) === true,
          permission: read<Permission>(PERMISSION_KEY),
          scimToken: read<boolean>(SCIM_TOKEN_KEY) === true,
        });
      }
    }
  }
  return access;
}

function keyScopeOf(permission: Permission): Permission | null {
  return (API_KEY_FORBIDDEN_SCOPES as readonly string[]).includes(permission) ? null : permission;
}

/** Security of a dashboard operation: none, the session only, or the session or a scoped key. */
function secure(operation: Operation, access: Access | undefined): void {
  if (access?.scimToken) {
    operation.security = [{ scimToken: [] }];
    return;
  }
  if (!access || access.isPublic || !access.permission) {
    operation.security = [];
    operation['x-public'] = true;
    return;
  }
  const scope = keyScopeOf(access.permission);
  operation.security = scope ? [{ session: [] }, { apiKey: [] }] : [{ session: [] }];
  operation['x-required-permission'] = access.permission;
  operation['x-api-key-scope'] = scope;
  const how = scope
    ? `Needs the \`${access.permission}\` permission: a session whose role holds it, or an API key with the \`${scope}\` scope whose owner holds it.`
    : `Needs the \`${access.permission}\` permission through a session; API keys are refused.`;
  operation.description = operation.description ? `${String(operation.description)}\n\n${how}` : how;
}

function proxyOperation(route: ProxyRoute, path: string): Operation {
  const streams = route.method === 'POST' && route.handler !== 'compact';
  const json = { schema: { type: 'object', additionalProperties: true } };
  const operation: Operation = {
    operationId: `Proxy_${route.handler}${path === route.paths[0] ? '' : `_${route.paths.indexOf(path)}`}`,
    tags: ['proxy'],
    summary: `${route.handler} (OpenAI/Codex wire format, proxied to an upstream account)`,
    description:
      "Served from the key's effective account pool. The body and the answer are the upstream's own " +
      (streams ? 'formats; `stream: true` (always, for Codex) answers Server-Sent Events.' : 'formats.'),
    security: [{ apiKey: [] }],
    'x-api-key-scope': route.permission === 'proxy:use' ? 'proxy' : route.permission,
    responses: {
      '200': {
        description: 'The upstream answer.',
        content: streams
          ? { 'application/json': json, 'text/event-stream': { schema: { type: 'string' } } }
          : { 'application/json': json },
      },
      default: {
        description: "An error in OpenAI's envelope.",
        content: { 'application/json': { schema: { $ref: '#/components/schemas/OpenAiError' } } },
      },
    },
  };
  if (route.method === 'POST') operation.requestBody = { required: true, content: { 'application/json': json } };
  return operation;
}

/** Builds the document; `modules` is the app's ModulesContainer. */
export function buildOpenApiDocument(app: INestApplication, modules: ModulesContainer, version: string): OpenAPIObject {
  applyValidationSchemas();
  const config = new DocumentBuilder()
    .setTitle('codex-lb')
    .setDescription(
      'The dashboard and management API (`/api/*`) and the OpenAI-compatible proxy (`/v1/*`, `/backend-api/codex/*`). ' +
        'Dashboard routes take a session cookie (from `POST /api/dashboard-auth/password/login`) or an API key whose ' +
        "scopes include the route's permission; proxy routes take an API key with the proxy scope. " +
        'Every answer carries `x-request-id`.',
    )
    .setVersion(version)
    .addCookieAuth(
      SESSION_COOKIE_BASE,
      {
        type: 'apiKey',
        in: 'cookie',
        name: SESSION_COOKIE_BASE,
        description: `The session cookie (named __Host-${SESSION_COOKIE_BASE} when the dashboard is served over https). Changes also need an allowed Origin.`,
      },
      'session',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          "An API key (sk-clb-...). On /api routes a key may do what both its scopes and its owner's role allow; " +
          'the scope an operation needs is its x-api-key-scope.',
      },
      'apiKey',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'A SCIM token (scim-clb-...), created by an admin: the only credential /scim/v2 accepts.',
      },
      'scimToken',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller}_${method}`,
  });
  const access = accessByOperation(modules);
  const paths = document.paths as Record<string, PathItem>;
  for (const [path, item] of Object.entries(paths)) {
    const tag = /^\/api\/([^/{]+)/.exec(path)?.[1] ?? 'other';
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      secure(operation, access.get(operation.operationId ?? ''));
      if (!operation.tags?.length) operation.tags = [tag];
      const responses = (operation.responses ??= {}) as Record<string, unknown>;
      responses.default ??= {
        description: 'An error.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
  }
  for (const route of PROXY_ROUTES) {
    for (const path of route.paths) {
      const item = (paths[path] ??= {});
      item[route.method.toLowerCase()] = proxyOperation(route, path);
    }
  }
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    Error: ERROR_SCHEMA,
    OpenAiError: OPENAI_ERROR_SCHEMA,
  } as never;
  return document;
}
