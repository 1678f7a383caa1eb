// Every error leaves through here. Dashboard routes (/api/*) answer {error: {code, message}};
// the OpenAI-compatible proxy routes answer OpenAI's {error: {message, type, code, param}}.
// A 500 never shows internals: it carries a request id that matches the server log line.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

export function isProxyPath(url: string): boolean {
  return url.startsWith('/v1/') || url === '/v1' || url.startsWith('/backend-api/');
}

/** The status, code, message and headers an exception answers with; internals never leave. */
export function normalizeError(exception: unknown, method: string, url: string): Normalized {
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
      message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    }
    if (status === 404 && message.startsWith('Cannot ')) {
      message = `No route for ${method} ${url.split('?')[0]}.`;
    }
    const code =
      status === 400 && Array.isArray((response as { message?: unknown })?.message)
        ? 'validation_failed'
        : (STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'error'));
    return { status, code, message: status >= 500 ? 'Internal server error.' : message, headers: {} };
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

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const error = normalizeError(exception, request.method, request.url);

    if (error.status >= 500) {
      this.logger.error(
        `request ${request.id} ${request.method} ${request.url.split('?')[0]} failed`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
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
