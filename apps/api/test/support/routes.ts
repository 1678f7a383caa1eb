// Lists every HTTP route of the app with the auth declaration it carries: Nest's routes from their
// metadata, and the proxy's API-key routes from the table they are registered from.
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { NestContainer } from '@nestjs/core';
import { PERMISSION_KEY, PUBLIC_KEY } from '../../src/common/decorators';
import { PROXY_ROUTES } from '../../src/modules/proxy/proxy-http';
import { SCIM_TOKEN_KEY } from '../../src/modules/scim/scim-auth.guard';

export interface RouteInfo {
  key: string; // e.g. "GET /api/users/:id"
  method: string;
  path: string;
  controller: string;
  handler: string;
  isPublic: boolean;
  permission?: string;
  apiKey: boolean;
  /** SCIM (/scim/v2): public to the dashboard's guard, opened only by a SCIM token. */
  scimToken: boolean;
}

function joinPath(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((part): part is string => !!part && part !== '/')
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

/** Nest's routes, plus the proxy's when `withProxy` (an app built from AppModule has them). */
export function collectRoutes(app: INestApplication, withProxy = true): RouteInfo[] {
  const container = (app as unknown as { container: NestContainer }).container;
  const routes: RouteInfo[] = [];
  for (const module of container.getModules().values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!controller) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const read = <T>(key: string) =>
          (Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller)) as T | undefined;
        for (const b of ([] as (string | undefined)[]).concat(base)) {
          for (const p of ([] as string[]).concat(path)) {
            const full = joinPath(b, p);
            routes.push({
              key: `${method} ${full}`,
              method,
              path: full,
              controller: controller.name,
              handler: name,
              isPublic: read<boolean>(PUBLIC_KEY) === true,
              permission: read<string>(PERMISSION_KEY),
              apiKey: false,
              scimToken: read<boolean>(SCIM_TOKEN_KEY) === true,
            });
          }
        }
      }
    }
  }
  if (withProxy) {
    for (const route of PROXY_ROUTES) {
      for (const path of route.paths) {
        routes.push({
          key: `${route.method} ${path}`,
          method: route.method,
          path,
          controller: 'ProxyHttp',
          handler: route.handler,
          isPublic: false,
          permission: route.permission,
          apiKey: true,
          scimToken: false,
        });
      }
    }
  }
  return routes;
}

export function undeclaredRoutes(routes: RouteInfo[]): RouteInfo[] {
  return routes.filter((route) => !route.isPublic && !route.permission);
}
