// What goes up: the client's body with fields the Codex backend rejects removed and
// `stream: true, store: false` forced; the account's token and id; the client's Codex headers.
// The client's own Authorization (the gateway key) never goes up.
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonMembers } from '../wire/json-members';

export const UNSUPPORTED_FIELDS = [
  'max_output_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'truncation',
  'metadata',
  'user',
  'safety_identifier',
  'prompt_cache_retention',
  'service_tier',
];

/** `generate` (a WebSocket warm-up's flag) must never reach the upstream over HTTP. */
const HTTP_DROPPED_FIELDS = [...UNSUPPORTED_FIELDS, 'generate'];

const PASS_HEADERS = ['session_id', 'session-id', 'thread-id', 'conversation_id', 'x-client-request-id', 'openai-beta'];
const CODEX_USER_AGENT = 'codex_cli_rs/0.169.0 (codex-lb)';

/**
 * The body to send upstream: the client's own bytes when they already say stream/store as the
 * backend requires and carry no rejected field (Codex CLI's usual request), else a byte-spliced copy.
 */
export function upstreamResponsesBody(json: JsonMembers, stream = true): Buffer {
  const clean =
    json.raw('stream') === String(stream) &&
    json.raw('store') === 'false' &&
    !HTTP_DROPPED_FIELDS.some((field) => json.has(field));
  if (clean) return json.buf;
  return json.rewrite(HTTP_DROPPED_FIELDS, { stream: String(stream), store: 'false' });
}

export function upstreamHeaders(
  client: IncomingHttpHeaders,
  account: { accessToken: string; chatgptAccountId: string },
  accept: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${account.accessToken}`,
    'chatgpt-account-id': account.chatgptAccountId,
    accept,
    'content-type': 'application/json',
  };
  for (const name of PASS_HEADERS) {
    const value = client[name];
    if (typeof value === 'string') headers[name] = value;
  }
  for (const name in client) {
    // x-codex-lb-* are this gateway's own headers (the end-user label): they stay here.
    if (name.startsWith('x-codex-') && !name.startsWith('x-codex-lb-')) {
      const value = client[name];
      if (typeof value === 'string') headers[name] = value;
    }
  }
  const agent = client['user-agent'];
  const originator = client.originator;
  const isCodex = typeof originator === 'string' && originator.startsWith('codex');
  headers.originator = isCodex ? originator : 'codex_cli_rs';
  headers['user-agent'] = isCodex && typeof agent === 'string' ? agent : CODEX_USER_AGENT;
  return headers;
}

/** The session id Codex sends (session_id or session-id), used for hard stickiness and logs. */
export function sessionIdOf(client: IncomingHttpHeaders): string | null {
  const value = client['session_id'] ?? client['session-id'];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
}
