// One exception type for every deliberate error: a status, a stable code and a plain message.
import { HttpException } from '@nestjs/common';
import type { ErrorCode } from '@codex-lb/shared';

export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: unknown,
  ) {
    super(message, status);
  }

  static badRequest(message: string, code: ErrorCode = 'bad_request') {
    return new ApiError(400, code, message);
  }
  static unauthenticated(message = 'Sign in to continue.', code: ErrorCode = 'unauthenticated') {
    return new ApiError(401, code, message);
  }
  static forbidden(message = 'You do not have permission to do this.', code: ErrorCode = 'forbidden') {
    return new ApiError(403, code, message);
  }
  static notFound(what = 'Resource') {
    return new ApiError(404, 'not_found', `${what} not found.`);
  }
  static conflict(code: ErrorCode, message: string) {
    return new ApiError(409, code, message);
  }
  static rateLimited(message: string, retryAfterSeconds: number) {
    return new ApiError(429, 'rate_limited', message, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}
