// Errors the proxy answers with, in OpenAI's envelope (the global filter renders ApiError that way
// on /v1 and /backend-api paths).
import { ApiError } from '../../common/api-error';
import type { SelectionFailure } from './routing/account-selector';

/** The 503 for a request the gateway will not serve because it is stopping. */
export function shuttingDown(): ApiError {
  return new ApiError(503, 'shutting_down', 'The gateway is shutting down. Retry in a moment.');
}

export function selectionError(failure: SelectionFailure): ApiError {
  switch (failure.code) {
    case 'all_accounts_rate_limited':
      return new ApiError(429, failure.code, failure.message, { 'retry-after': String(failure.retryAfterSeconds) });
    case 'sticky_account_unavailable':
      return new ApiError(
        failure.retryAfterSeconds ? 429 : 409,
        failure.code,
        failure.message,
        failure.retryAfterSeconds ? { 'retry-after': String(failure.retryAfterSeconds) } : {},
      );
    default:
      return new ApiError(503, failure.code, failure.message);
  }
}

export function modelNotAllowed(model: string | null): ApiError {
  return new ApiError(403, 'model_not_allowed', `This API key may not use the model ${model ?? '(none given)'}.`);
}

export function badBody(message: string): ApiError {
  return new ApiError(400, 'invalid_request', message);
}

/** Every account tried failed upstream (5xx, no connection, refused account): a 502 with the cause. */
export function upstreamUnavailable(message: string): ApiError {
  return new ApiError(502, 'upstream_unavailable', message, { 'retry-after': '5' });
}

/** The upstream refused the request itself (a 4xx no other account would answer differently). */
export function upstreamRejected(status: number, message: string): ApiError {
  return new ApiError(status, 'upstream_rejected', message);
}

/** The client went away before an answer; nobody receives this, it only ends the exchange. */
export function clientClosed(): ApiError {
  return new ApiError(499, 'client_closed', 'The client closed the request.');
}

/** The OpenAI-envelope error a stream ends with when the upstream broke off or failed. */
export function streamError(code: string, message: string) {
  return { message, type: 'server_error', code, param: null };
}

/** resets_at / resets_in_seconds from a 429 body, as epoch ms; default five minutes. */
export function resetFrom429(body: unknown, now = Date.now()): number {
  const error = ((body as Record<string, unknown>)?.error ?? body ?? {}) as Record<string, unknown>;
  const at = Number(error.resets_at);
  if (Number.isFinite(at) && at > 0) return at * 1000;
  const inSeconds = Number(error.resets_in_seconds);
  if (Number.isFinite(inSeconds) && inSeconds > 0) return now + inSeconds * 1000;
  return now + 5 * 60_000;
}
