// Error codes the API answers with. Clients (the dashboard included) switch on these, never on
// the message text.

export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthenticated',
  'invalid_credentials',
  'session_expired',
  'forbidden',
  'origin_not_allowed',
  'password_change_required',
  'mfa_enrolment_required',
  'mfa_required',
  'mfa_invalid_code',
  'mfa_already_enrolled',
  'reauthentication_required',
  'mfa_not_enrolled',
  'cannot_reset_own_mfa',
  'server_busy',
  'not_found',
  'conflict',
  'username_taken',
  'last_admin',
  'last_manager',
  'role_slug_taken',
  'role_in_use',
  'preset_role',
  'unknown_role',
  'cannot_delete_self',
  'rate_limited',
  'payload_too_large',
  'internal_error',
  'account_already_registered',
  'invalid_auth_json',
  'oauth_flow_not_found',
  'oauth_flow_expired',
  'upstream_error',
  'missing_api_key',
  'invalid_api_key',
  'api_key_expired',
  'api_key_revoked',
  'invalid_account_ids',
  'invalid_owner',
  'invalid_group_ids',
  'invalid_scopes',
  'group_slug_taken',
  'last_group_owner',
  'group_has_accounts',
  'rate_limit_exceeded',
  'usage_limit_exceeded',
  'model_not_priced',
  // The proxy's own answers (OpenAI's envelope).
  'invalid_request',
  'unsupported_media_type',
  'model_not_allowed',
  'no_accounts',
  'all_accounts_rate_limited',
  'sticky_account_unavailable',
  'upstream_rejected',
  'upstream_unavailable',
  'upstream_disconnected',
  'response_failed',
  'response_incomplete',
  'invalid_upstream_json',
  'client_closed',
  'shutting_down',
  'concurrency_limit_exceeded',
  'stream_stalled',
  'unsupported_content_encoding',
  'upgrade_required',
  'websocket_connection_limit_reached',
  // Company sign-in (OpenID Connect).
  'local_login_disabled',
  'identity_provider_slug_taken',
  'identity_provider_unavailable',
  'oidc_failed',
  'identity_not_allowed',
  'identity_already_linked',
  // Infrastructure.
  'database_unavailable',
  'limits_unavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The envelope every `/api/*` error uses. */
export interface ApiErrorBody {
  error: {
    code: ErrorCode | string;
    message: string;
    requestId?: string;
    details?: unknown;
  };
}
