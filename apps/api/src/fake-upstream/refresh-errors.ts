// Error bodies of the token endpoint, shaped like OpenAI's so real clients classify them the same way.
import type { RefreshErrorCode } from './types';

const MESSAGES: Record<RefreshErrorCode, string> = {
  refresh_token_expired: 'Your refresh token has expired. Please try signing in again.',
  refresh_token_reused:
    'Your refresh token has already been used to generate a new access token. Please try signing in again.',
  refresh_token_invalidated: 'Your refresh token has been invalidated. Please try signing in again.',
  invalid_grant: 'The refresh token is invalid, expired or revoked.',
  token_invalidated: 'Your authentication token has been invalidated. Please try signing in again.',
  account_deactivated: 'Your OpenAI account has been deactivated.',
  server_error: 'The server had an error while processing your request.',
};

/**
 * Status and body for a refresh failure. Subtyped failures use the OpenAI error object
 * (`error.code`), which Codex CLI reads; plain `invalid_grant` uses the RFC 6749 shape.
 */
export function refreshErrorResponse(code: RefreshErrorCode): { status: number; body: unknown } {
  const message = MESSAGES[code];
  if (code === 'invalid_grant') {
    return { status: 400, body: { error: 'invalid_grant', error_description: message } };
  }
  if (code === 'server_error') {
    return { status: 503, body: { error: { message, type: 'server_error', param: null, code: 'server_error' } } };
  }
  return { status: 401, body: { error: { message, type: 'invalid_request_error', param: null, code } } };
}

export function oauthError(status: number, error: string, description: string): { status: number; body: unknown } {
  return { status, body: { error, error_description: description } };
}
