// Ready-to-paste client configuration for a new key. Codex CLI reads config.toml; OpenAI SDKs
// and most other tools read OPENAI_BASE_URL / OPENAI_API_KEY.

export const KEY_ENV_VAR = 'CODEX_LB_API_KEY';

/** Where clients reach the gateway, passed from the server so operators can override it. */
export interface GatewayHint {
  /** CODEX_LB_PUBLIC_URL when the operator set one (e.g. behind a reverse proxy). */
  publicUrl: string | null;
  /** The API's port from CODEX_LB_API_URL, assumed reachable on the dashboard's host. */
  apiPort: string;
}

export function defaultGatewayUrl(hint: GatewayHint, location: { protocol: string; hostname: string }): string {
  if (hint.publicUrl) return trimSlash(hint.publicUrl);
  return `${location.protocol}//${location.hostname}:${hint.apiPort}`;
}

export function trimSlash(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export function codexConfigToml(gatewayUrl: string): string {
  return [
    'model_provider = "codex-lb"',
    '',
    '[model_providers.codex-lb]',
    'name = "codex-lb"',
    `base_url = "${trimSlash(gatewayUrl)}/backend-api/codex"`,
    'wire_api = "responses"',
    `env_key = "${KEY_ENV_VAR}"`,
  ].join('\n');
}

export function keyExportLine(key: string): string {
  return `export ${KEY_ENV_VAR}="${key}"`;
}

export function openAiEnvSnippet(gatewayUrl: string, key: string): string {
  return [`OPENAI_BASE_URL=${trimSlash(gatewayUrl)}/v1`, `OPENAI_API_KEY=${key}`].join('\n');
}
