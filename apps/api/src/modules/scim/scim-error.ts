// SCIM's own error shape (RFC 7644 §3.12) for every answer under /scim/v2: a directory reads
// `status` and `scimType`, not codex-lb's {error: {code, message}}. ScimError is thrown by the SCIM
// code; anything else (an ApiError of a shared rule, a validation error, a database outage) is
// normalized exactly as the dashboard's filter does and then put in the SCIM envelope, so a 500
// still never shows internals.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  normalizeError,
  SCIM_CONTENT_TYPE,
  SCIM_ERROR_SCHEMA,
  scimErrorBody,
} from '../../common/http-exception.filter';
import { isUniqueViolation } from '../../database/data-source';

export { SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA };

/** The scimType values RFC 7644 defines for 400 (and 409 for uniqueness). */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends HttpException {
  constructor(
    status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail, status);
  }

  static badRequest(detail: string, scimType: ScimType = 'invalidValue') {
    return new ScimError(400, detail, scimType);
  }
  static unauthorized(detail = 'A valid SCIM bearer token is required.') {
    return new ScimError(401, detail);
  }
  static notFound(what: string) {
    return new ScimError(404, `${what} not found.`);
  }
  static conflict(detail: string) {
    return new ScimError(409, detail, 'uniqueness');
  }
}

@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SCIM');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    let status: number;
    let detail: string;
    let scimType: ScimType | undefined;
    let headers: Record<string, string> = {};
    if (exception instanceof ScimError) {
      status = exception.getStatus();
      detail = exception.detail;
      scimType = exception.scimType;
    } else if (isUniqueViolation(exception)) {
      // Two requests racing for one userName or externalId: the database's unique index decides.
      status = 409;
      detail = 'Another resource has this userName, externalId or name.';
      scimType = 'uniqueness';
    } else {
      const error = normalizeError(exception, request.method, request.url);
      status = error.status;
      detail = error.message;
      headers = error.headers;
      if (status === 400) scimType = error.code === 'validation_failed' ? 'invalidValue' : 'invalidSyntax';
      if (status === 409) scimType = 'uniqueness';
      if (status >= 500 && error.code !== 'database_unavailable') {
        this.logger.error(
          `request ${request.id} ${request.method} ${request.url.split('?')[0]} failed`,
          exception instanceof Error ? exception.stack : String(exception),
        );
        detail = `Internal server error (request ${request.id}).`;
      }
    }
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    const body = scimErrorBody(status, detail, scimType);
    if (status === 401) headers = { ...headers, 'www-authenticate': 'Bearer realm="codex-lb SCIM"' };
    reply.headers(headers).header('content-type', SCIM_CONTENT_TYPE).status(status).send(body);
  }
}
