// Per-request facts the audit log needs (client address, user agent, request id, and the
// principal once the guard has authenticated it), carried by AsyncLocalStorage so services record
// them without taking the request as an argument.
//
// Fastify runs preValidation, the guard and the handler from the request stream's 'end' event,
// outside the async context onRequest opened; the context is re-entered there through an
// AsyncResource bound in onRequest (the approach of @fastify/request-context).
//
// On Node 20 an enabled AsyncLocalStorage installs async hooks for the whole process: every
// promise and every async resource then runs a JavaScript init hook, the proxy's too (about 5 % of
// its CPU at 50 connections; bench/BASELINE.md). So the storage is enabled only while a context is
// open (a dashboard request until its response closes, a runWithRequestContext call until it
// settles) and disabled again when the last one ends: proxy traffic alone pays nothing.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from './principal';

export const USER_AGENT_MAX = 512;

export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  method: string;
  /** The route path without the query string (bounded). */
  path: string;
  principal?: Principal;
}

const storage = new AsyncLocalStorage<RequestContext>();
/** How long the context outlives a request whose client left before its answer. */
const ABORTED_HANDLER_MS = 60_000;
/** Contexts open now; the storage (and Node's async hooks with it) is off while this is 0. */
let open = 0;

function leave(): void {
  open -= 1;
  if (open === 0) storage.disable();
}

/** Until when the storage stays on for handlers of aborted requests; one timer for all of them. */
let holdUntil = 0;
let holding = false;

/** Keeps the storage on for `ms` more (one open count and one timer, however many requests ask). */
function holdOpen(ms: number): void {
  holdUntil = Date.now() + ms;
  if (holding) return;
  holding = true;
  open += 1;
  const release = () => {
    const left = holdUntil - Date.now();
    if (left > 0) {
      setTimeout(release, left).unref();
      return;
    }
    holding = false;
    leave();
  };
  setTimeout(release, ms).unref();
}

/** Whether the storage is enabled now (for specs). */
export function requestContextActive(): boolean {
  return open > 0;
}
const RESOURCE = Symbol('codex-lb.request-context');

type ContextRequest = FastifyRequest & { [RESOURCE]?: AsyncResource };

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs fn with the given context (background jobs and specs). */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  open += 1;
  let result: T;
  try {
    result = storage.run(context, fn);
  } catch (error) {
    leave();
    throw error;
  }
  if (result instanceof Promise) result.then(leave, leave);
  else leave();
  return result;
}

/** Records who the guard authenticated, for everything the request does afterwards. */
export function setContextPrincipal(principal: Principal | undefined): void {
  const store = storage.getStore();
  if (store) store.principal = principal;
}

function headerText(value: string | string[] | undefined, max: number): string | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  return text.length > max ? text.slice(0, max) : text;
}

export function contextForRequest(request: FastifyRequest): RequestContext {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query >= 0 ? url.slice(0, query) : url;
  return {
    requestId: request.id,
    // As Fastify computes it under the trust-proxy setting.
    ip: request.ip ? request.ip.slice(0, 64) : null,
    userAgent: headerText(request.headers['user-agent'], USER_AGENT_MAX),
    method: request.method,
    path: path.length > 300 ? path.slice(0, 300) : path,
  };
}

/** Opens the context of every Fastify request and answers its id as `x-request-id`. */
export function installRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    open += 1;
    // 'close' follows the response's end, an abort and a destroyed socket alike: once per request.
    // A handler outlives an aborted request (its transaction, with the audit row, still commits),
    // so the context stays open a while longer then.
    const res = reply.raw;
    res.once('close', () => {
      if (!res.writableFinished) holdOpen(ABORTED_HANDLER_MS);
      leave();
    });
    storage.run(contextForRequest(request), () => {
      const resource = new AsyncResource('codex-lb.request-context');
      (request as ContextRequest)[RESOURCE] = resource;
      resource.runInAsyncScope(done, request.raw);
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const resource = (request as ContextRequest)[RESOURCE];
    if (resource) resource.runInAsyncScope(done, request.raw);
    else done();
  });
}
