// Where the dashboard's server side reaches the API. Read on every call (not at module load or
// build time) so one built dashboard can be pointed at any API by the environment it runs in.
const DEFAULT_API_URL = 'http://127.0.0.1:2455';

export function apiOrigin(): string {
  const raw = process.env.CODEX_LB_API_URL?.trim() || DEFAULT_API_URL;
  return raw.replace(/\/+$/, '');
}
