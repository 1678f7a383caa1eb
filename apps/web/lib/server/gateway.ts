import type { GatewayHint } from '@/lib/client-snippets';
import { apiOrigin } from './api-origin';

/**
 * Where API-key clients should connect. CODEX_LB_PUBLIC_URL wins when set (a reverse proxy or
 * a public hostname); otherwise the API's port on whatever host the browser used.
 */
export function gatewayHint(): GatewayHint {
  const publicUrl = process.env.CODEX_LB_PUBLIC_URL?.trim() || null;
  let apiPort = '2455';
  try {
    const url = new URL(apiOrigin());
    apiPort = url.port || (url.protocol === 'https:' ? '443' : '80');
  } catch {
    // A malformed CODEX_LB_API_URL already breaks the proxy loudly; keep the default here.
  }
  return { publicUrl, apiPort };
}
