// Every error leaves through here. Dashboard routes (/api/*) answer {error: {code, message}};
// the OpenAI-compatible proxy routes answer OpenAI's {error: {message, type, code, param}};
// SCIM (/scim/v2) answers SCIM's Error message (RFC 7644 §3.12), also for errors raised before its
// own filter runs (a body that does not parse, a URL that does not decode).
// A 500 never shows internals: it carries a request id that matches the server log line.
// Database outages and timeouts are a 503 database_unavailable with Retry-After, not a 500. No
// error body grows with its input: messages and details are cut to a fixed size.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/data-source';
import { ApiError } from './api-error';

export interface Normalized {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  details?: unknown;
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
};

/** Longest message an error answers with; longer ones are cut with an ellipsis. */
export const MAX_ERROR_MESSAGE_CHARS = 500;
/** Largest `details` an error answers with, as JSON; beyond it items are dropped. */
export const MAX_ERROR_DETAILS_CHARS = 4096;
/** How long a client should wait before retrying during a database outage. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** A message cut to MAX_ERROR_MESSAGE_CHARS, never splitting a surrogate pair. */
export function capMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  let end = MAX_ERROR_MESSAGE_CHARS - 1;
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${message.slice(0, end)}…`;
}

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

/** Details as they are when small; a list keeps its leading items that fit; otherwise none. */
export function capDetails(details: unknown): unknown {
  if (details === undefined || jsonLength(details) <= MAX_ERROR_DETAILS_CHARS) return details;
  if (!Array.isArray(details)) return undefined;
  const kept: unknown[] = [];
  let size = 2;
  for (const item of details) {
    const length = jsonLength(item) + 1;
    if (size + length > MAX_ERROR_DETAILS_CHARS) break;
    kept.push(item);
    size += length;
  }
  return kept;
}

/** Joins validation messages, stopping once the joined text is past the message cap. */
function joinMessages(messages: unknown[]): string {
  const parts: string[] = [];
  let length = 0;
  for (const message of messages) {
    if (length > MAX_ERROR_MESSAGE_CHARS) break;
    const text = String(message).slice(0, MAX_ERROR_MESSAGE_CHARS + 1);
    parts.push(text);
    length += text.length + 2;
  }
  return parts.join('; ');
}

export function isProxyPath(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/backend-api/');
}

export function isScimPath(url: string): boolean {
  return url === '/scim/v2' || url.startsWith('/scim/v2/') || url.startsWith('/scim/v2?');
}

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** SCIM's Error message; a 400 without a more precise scimType is `invalidSyntax`. */
export function scimErrorBody(status: number, detail: string, scimType?: string) {
  const type = scimType ?? (status === 400 ? 'invalidSyntax' : undefined);
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(status), ...(type ? { scimType: type } : {}), detail };
}

/** The status, code, message and headers an exception answers with; internals never leave. */
export function normalizeError(exception: unknown, method: string, url: string): Normalized {
  const error = classify(exception, method, url);
  error.message = capMessage(error.message);
  if (error.details !== undefined) error.details = capDetails(error.details);
  return error;
}

function classify(exception: unknown, method: string, url: string): Normalized {
  if (exception instanceof ApiError) {
    return {
      status: exception.getStatus(),
      code: exception.code,
      message: exception.message,
      headers: exception.headers,
      details: exception.details,
    };
  }
  if (exception instanceof ThrottlerException) {
    return {
      status: 429,
      code: 'rate_limited',
      message: 'Too many attempts. Wait a moment and try again.',
      headers: {},
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response && 'message' in response) {
      const raw = (response as { message: unknown }).message;
      message = Array.isArray(raw) ? joinMessages(raw) : String(raw);
    }
    if (status === 404 && message.startsWith('Cannot ')) {
      message = `No route for ${method} ${url.split('?')[0].slice(0, 200)}.`;
    }
    const code =
      status === 400 && Array.isArray((response as { message?: unknown })?.message)
        ? 'validation_failed'
        : (STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'error'));
    return { status, code, message: status >= 500 ? 'Internal server error.' : message, headers: {} };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      status: 503,
      code: 'database_unavailable',
      message: 'The database is unavailable. Try again shortly.',
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
    };
  }
  // Errors raised by Fastify itself (bad JSON, body too large, unsupported media type).
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return {
      status,
      code: STATUS_CODES[status] ?? 'bad_request',
      message: fastifyError.message ?? 'Bad request.',
      headers: {},
    };
  }
  return { status: 500, code: 'internal_error', message: 'Internal server error.', headers: {} };
}

/** OpenAI's error envelope, for the proxy routes. */
export function openAiErrorBody(error: Normalized) {
  return {
    error: {
      message: error.message,
      type: OPENAI_TYPES[error.status] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error'),
      code: error.code,
      param: null,
    },
  };
}

/**
 * For Fastify's `frameworkErrors` option: errors its router raises before any route or filter
 * runs (a path that does not decode, FST_ERR_BAD_URL), answered in the same envelopes and caps
 * instead of Fastify's default body, which echoes the whole URL.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  const normalized: Normalized = {
    status,
    code: STATUS_CODES[status] ?? 'bad_request',
    message:
      error.code === 'FST_ERR_BAD_URL'
        ? 'The URL does not decode (bad percent-encoding or UTF-8).'
        : capMessage(error.message),
    headers: {},
  };
  if (isScimPath(request.url)) {
    void reply.header('content-type', SCIM_CONTENT_TYPE).status(status).send(scimErrorBody(status, normalized.message));
    return;
  }
  const body = isProxyPath(request.url)
    ? openAiErrorBody(normalized)
    : { error: { code: normalized.code, message: normalized.message } };
  void reply.status(status).send(body);
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const error = normalizeError(exception, request.method, request.url);

    if (error.code === 'database_unavailable') {
      // Expected during an outage; one line per request, without the stack.
      this.logger.warn(
        `request ${request.id} ${request.method} ${request.url.split('?')[0]}: database unavailable (${describe(exception)})`,
      );
    } else if (error.status >= 500) {
      this.logger.error(
        `request ${request.id} ${request.method} ${request.url.split('?')[0]} failed`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    if (isScimPath(request.url)) {
      const detail = error.status >= 500 ? `${error.message} (request ${request.id})` : error.message;
      reply
        .headers(error.headers)
        .header('content-type', SCIM_CONTENT_TYPE)
        .status(error.status)
        .send(scimErrorBody(error.status, detail));
      return;
    }
    const body = isProxyPath(request.url)
      ? openAiErrorBody(error)
      : {
          error: {
            code: error.code,
            message: error.message,
            ...(error.details !== undefined ? { details: error.details } : {}),
            ...(error.status >= 500 ? { requestId: request.id } : {}),
          },
        };
    reply.headers(error.headers).status(error.status).send(body);
  }
}

function describe(exception: unknown): string {
  const error = exception as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } };
  const inner = error?.driverError ?? error;
  return capMessage(`${typeof inner?.code === 'string' ? `${inner.code} ` : ''}${String(inner?.message ?? exception)}`);
}
