// The one fetch wrapper the dashboard uses in the browser. Every failure becomes an ApiError
// carrying the API's error code, so callers switch on codes, never on message text.
import type { ApiErrorBody } from '@codex-lb/shared';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  /** Plain objects are sent as JSON; FormData is sent as multipart. */
  body?: unknown;
  signal?: AbortSignal;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    /** Seconds, from Retry-After on 429 answers. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The endpoint does not exist yet (the API ships in parts), as opposed to a missing record.
   * The API answers unknown routes with code not_found and "No route for ..."; matching the text
   * is a stopgap until it sends a distinct code.
   */
  get isMissingEndpoint(): boolean {
    return this.status === 404 && (this.code === 'route_not_found' || this.message.startsWith('No route for'));
  }
}

export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiErrorBody).error === 'object' &&
    typeof (value as ApiErrorBody).error?.message === 'string'
  );
}

const FALLBACK_MESSAGES: Record<number, string> = {
  401: 'You are signed out. Sign in again.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  429: 'Too many requests. Wait a moment and try again.',
  502: 'The codex-lb API is not reachable.',
};

async function toApiError(response: Response): Promise<ApiError> {
  const retryAfterHeader = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : undefined;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): fall through to a generic message.
  }
  if (isErrorBody(body)) {
    return new ApiError(response.status, body.error.code, body.error.message, body.error.requestId, retryAfter);
  }
  // Nest's default 404 for unknown routes is not our envelope; name it so pages can show
  // "not available yet" instead of a generic failure.
  const code = response.status === 404 ? 'route_not_found' : `http_${response.status}`;
  const message = FALLBACK_MESSAGES[response.status] ?? `Request failed (HTTP ${response.status}).`;
  return new ApiError(response.status, code, message, undefined, retryAfter);
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', query, body, signal } = options;
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }

  let response: Response;
  try {
    response = await fetch(`/api${path}${buildQuery(query)}`, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'Could not reach the dashboard server. Check your connection.');
  }

  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Plain words for any thrown value, for toasts and inline errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
