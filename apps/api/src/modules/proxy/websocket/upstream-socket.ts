// Opens the upstream WebSocket a client socket is bridged to: an account is chosen as for an HTTP
// request (the key's effective pool, stickiness by session and turn state), its token refreshed
// when it is about to expire, and `{base}/codex/responses` upgraded with the account's token and
// the client's Codex headers. A refused handshake is reported on the account as the HTTP answer
// would be (429 cools it down, 401 refreshes once, 402/403 mark it refused, 5xx and connection
// errors back it off) and the next account is tried, up to three. An upstream that does not speak
// WebSocket (404, 405, 426, ...) makes the gateway answer 426, so the client falls back to HTTP.
import { Logger } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { ApiError } from '../../../common/api-error';
import type { AccountTokensService } from '../../accounts/account-tokens.service';
import type { AuthenticatedKey } from '../../api-keys/api-key.types';
import { resetFrom429, selectionError, upstreamUnavailable } from '../proxy-errors';
import { STICKY_INPUT_MAX_CHARS, type ProxyService } from '../proxy.service';
import type { AccountPool, PooledAccount } from '../routing/account-pool';
import { turnBindingKey } from '../routing/account-selector';
import { upstreamHeaders } from '../upstream/upstream-request';
import { quotaFromHeaders } from '../wire/sse-observer';

const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 5_000;
const TOKEN_MARGIN_MS = 60_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;
/** Headers of the upstream's upgrade answer the client reads (Codex: turn state, models etag). */
export const FORWARDED_UPGRADE_HEADERS = [
  'x-codex-turn-state',
  'x-models-etag',
  'x-reasoning-included',
  'openai-model',
];

export interface OpenedSocket {
  ws: WebSocket;
  account: PooledAccount;
  /** The upstream upgrade answer's headers worth forwarding. */
  headers: Record<string, string>;
}

export interface UpstreamSocketDeps {
  pool: AccountPool;
  proxy: ProxyService;
  tokens: AccountTokensService;
  /** ws(s)://host/backend-api/codex/responses */
  url: string;
  maxPayload: number;
}

type Handshake =
  | { ok: true; ws: WebSocket; headers: IncomingHttpHeaders }
  | { ok: false; status: number; headers: IncomingHttpHeaders; body: unknown }
  | { ok: false; status: 0; error: Error };

const logger = new Logger('ProxyWebSocket');

export function upstreamSocketUrl(upstreamBaseUrl: string): string {
  const base = new URL(upstreamBaseUrl);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${base.toString().replace(/\/+$/, '')}/codex/responses`;
}

/**
 * Connects for `key` (throws the ApiError to answer the client's upgrade with). `gone` says the
 * client left meanwhile: the attempt stops and whatever was opened is closed.
 */
export async function openUpstreamSocket(
  deps: UpstreamSocketDeps,
  key: AuthenticatedKey,
  client: IncomingHttpHeaders,
  gone: () => boolean,
  exclude: ReadonlySet<string> = new Set(),
): Promise<OpenedSocket> {
  const { hardKeys, softKey } = deps.proxy.stickiness(key, client, { string: () => null }, null);
  const tried = new Set<string>(exclude);
  let lastError: ApiError | null = null;
  for (let attempt = exclude.size; attempt < MAX_ATTEMPTS; attempt++) {
    const selection = deps.proxy.selector.select({
      candidates: deps.pool.effectivePool(key),
      // A failover before the socket's first event rebinds the session: nothing of the
      // conversation is upstream yet.
      hardKeys: exclude.size > 0 ? [] : hardKeys,
      softKey,
      exclude: tried,
    });
    if ('failure' in selection) throw lastError ?? selectionError(selection.failure);
    const account = selection.account;
    tried.add(account.id);
    let refreshed = false;
    if (account.tokenExpiresAt !== null && account.tokenExpiresAt - Date.now() < TOKEN_MARGIN_MS) {
      refreshed = await refresh(deps, account);
      if (!refreshed) {
        lastError = upstreamUnavailable('The account token could not be refreshed.');
        continue;
      }
    }
    for (;;) {
      const answer = await handshake(deps, account, client);
      if (gone()) {
        if (answer.ok) answer.ws.terminate();
        throw new ApiError(499, 'client_closed', 'The client closed the request.');
      }
      if (answer.ok) {
        deps.proxy.selector.remember(account.id, hardKeys, softKey);
        const quota = quotaFromHeaders(answer.headers);
        if (quota) deps.pool.observeQuota(account.id, quota);
        const headers: Record<string, string> = {};
        for (const name of FORWARDED_UPGRADE_HEADERS) {
          const value = answer.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        // The turn state belongs to the account that made it, as over HTTP.
        const turnState = headers['x-codex-turn-state'];
        if (turnState && turnState.length <= STICKY_INPUT_MAX_CHARS) {
          deps.proxy.selector.remember(account.id, [turnBindingKey(key.ownerUserId, turnState)], null);
        }
        return { ws: answer.ws, account, headers };
      }
      if ('error' in answer) {
        deps.pool.backOff(account.id, BACKOFF_MS);
        lastError = upstreamUnavailable(`The upstream could not be reached (${answer.error.message}).`);
        break;
      }
      const status = answer.status;
      const quota = quotaFromHeaders(answer.headers);
      if (quota) deps.pool.observeQuota(account.id, quota);
      if (status === 401 && !refreshed) {
        refreshed = await refresh(deps, account);
        if (refreshed) continue;
        lastError = upstreamUnavailable('The upstream refused the account token.');
        break;
      }
      if (status === 429) {
        const until = resetFrom429(answer.body);
        deps.pool.coolDown(account.id, until, 'The upstream usage limit is reached until the window resets.');
        lastError = selectionError({
          code: 'all_accounts_rate_limited',
          message: `Every upstream account tried is rate-limited; the earliest resets at ${new Date(until).toISOString()}.`,
          retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)),
        });
        break;
      }
      if (status === 402 || status === 403) {
        deps.pool.report(account.id, { type: 'account_refused', status, message: `The upstream answered ${status}.` });
        lastError = upstreamUnavailable(`The upstream refused the account (${status}).`);
        break;
      }
      if (status >= 500 || status === 401) {
        deps.pool.backOff(account.id, BACKOFF_MS);
        lastError = upstreamUnavailable(`The upstream answered ${status}.`);
        break;
      }
      // The upstream does not take this WebSocket at all: the client should use HTTP, at once.
      throw upgradeRequired(`The upstream refused the WebSocket upgrade (${status}); use HTTP.`);
    }
  }
  throw lastError ?? upstreamUnavailable('No upstream account answered.');
}

export function upgradeRequired(message: string): ApiError {
  return new ApiError(426, 'upgrade_required', message);
}

async function refresh(deps: UpstreamSocketDeps, account: PooledAccount): Promise<boolean> {
  try {
    const access = await deps.tokens.refresh(account.id);
    deps.pool.setAccessToken(account.id, access.accessToken, access.expiresAt);
    return true;
  } catch (error) {
    logger.warn(`Token refresh for account ${account.id} failed: ${(error as Error).message}`);
    deps.pool.backOff(account.id, BACKOFF_MS);
    return false;
  }
}

function handshake(deps: UpstreamSocketDeps, account: PooledAccount, client: IncomingHttpHeaders): Promise<Handshake> {
  const headers = upstreamHeaders(client, account, 'application/json');
  delete headers['content-type'];
  delete headers.accept;
  return new Promise((resolve) => {
    let upgradeHeaders: IncomingHttpHeaders = {};
    const ws = new WebSocket(deps.url, {
      headers,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: deps.maxPayload,
      // Not offered upstream: a deflate context pair per socket costs hundreds of kilobytes that
      // an idle socket keeps (bench/BASELINE.md, ws-idle), and the turns after the first are small.
      perMessageDeflate: false,
    });
    const done = (answer: Handshake) => {
      ws.removeAllListeners('open');
      ws.removeAllListeners('upgrade');
      ws.removeAllListeners('unexpected-response');
      ws.removeAllListeners('error');
      if (!answer.ok) ws.on('error', () => undefined);
      resolve(answer);
    };
    ws.once('upgrade', (response: IncomingMessage) => (upgradeHeaders = response.headers));
    ws.once('open', () => done({ ok: true, ws, headers: upgradeHeaders }));
    ws.once('unexpected-response', (request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 64 * 1024) chunks.push(chunk);
      });
      const finish = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // Not JSON: the status says enough.
        }
        request.destroy();
        done({ ok: false, status: response.statusCode ?? 502, headers: response.headers, body });
      };
      response.once('end', finish);
      response.once('error', finish);
    });
    ws.once('error', (error: Error) => done({ ok: false, status: 0, error }));
  });
}
