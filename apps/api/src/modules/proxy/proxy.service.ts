// The proxy engine: admission (model allowlist, key limits), account choice, the upstream call
// with failover before the first byte, and the bookkeeping after (limits settle, quota, stickiness,
// one request log). Route handlers decide what to do with the open upstream stream.
import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../../common/api-error';
import { AccountTokensService } from '../accounts/account-tokens.service';
import { isModelAllowed, type AuthenticatedKey } from '../api-keys/api-key.types';
import { ApiKeyLimiter, type Reservation } from '../api-keys/limits/api-key-limiter';
import { estimateCostUsd } from '../api-keys/pricing';
import { RequestLogWriter } from '../usage/request-log.writer';
import { AccountPool, type PooledAccount } from './account-pool';
import { AccountSelector } from './account-selector';
import { badBody, modelNotAllowed, resetFrom429, selectionError, upstreamFailure } from './proxy-errors';
import type { ObservedUsage } from './sse-observer';
import { quotaFromHeaders } from './sse-observer';
import { sessionIdOf, upstreamHeaders } from './upstream-request';
import { UpstreamClient } from './upstream.client';
import type { UpstreamResponse } from './upstream-response';

const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 5_000;
const TOKEN_MARGIN_MS = 60_000;
const DERIVED_MEMO_MAX = 2_000;

/** Read access to a request body's string members (a scanned body or a parsed object). */
export interface StringFields {
  string(key: string): string | null;
}

export interface ProxyRequest {
  key: AuthenticatedKey;
  route: string;
  requestId: string;
  headers: IncomingHttpHeaders;
  clientIp: string | null;
  model: string | null;
  stream: boolean;
  /** The upstream path below the backend base. */
  path: string;
  /** Serialized once (or the client's own bytes), sent as is to every attempt. */
  body: Buffer | string;
  accept: string;
  hardKeys: string[];
  softKey: string | null;
  /** Set when the client goes away; the open upstream body is destroyed then. */
  cancel: CancelState;
}

/**
 * Cheaper than an AbortController per request: the client's 'close' marks the request and
 * destroys the upstream body once there is one, which aborts the upstream request.
 */
export interface CancelState {
  aborted: boolean;
  body: { destroy(): unknown } | null;
}

export interface OpenUpstream {
  account: PooledAccount;
  /** Whether the stream should be read for quota (rate-limit events); see AccountPool.wantsQuota. */
  readQuota: boolean;
  response: UpstreamResponse;
  reservation: Reservation;
  startedAt: number;
}

export interface Outcome {
  status: 'success' | 'error' | 'cancelled';
  httpStatus: number;
  errorCode: string | null;
  usage: ObservedUsage | null;
  responseId: string | null;
  ttfbMs: number | null;
  model: string | null;
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');
  readonly selector = new AccountSelector();
  private inflight = 0;
  private drained: (() => void) | null = null;
  private readonly derived = new Map<string, { prefix: Buffer; softKey: string }>();

  constructor(
    private readonly pool: AccountPool,
    private readonly tokens: AccountTokensService,
    private readonly upstream: UpstreamClient,
    private readonly limiter: ApiKeyLimiter,
    private readonly logs: RequestLogWriter,
  ) {}

  /**
   * Hard and soft stickiness keys for a Responses-shaped body, scoped to the key's owner. Without
   * a prompt_cache_key, `deriveFrom` (the start of the instructions' JSON text; null to skip)
   * gives a soft key of its own.
   */
  stickiness(key: AuthenticatedKey, headers: IncomingHttpHeaders, body: StringFields, deriveFrom: Buffer | null) {
    const owner = key.ownerUserId;
    const hardKeys: string[] = [];
    const previous = body.string('previous_response_id');
    if (previous) hardKeys.push(`${owner}:resp:${previous}`);
    const turnState = headers['x-codex-turn-state'];
    if (typeof turnState === 'string' && turnState) hardKeys.push(`${owner}:turn:${turnState}`);
    const session = sessionIdOf(headers);
    if (session) hardKeys.push(`${owner}:session:${session}`);
    let softKey: string | null = null;
    const cacheKey = body.string('prompt_cache_key');
    if (cacheKey) {
      softKey = `${owner}:pck:${cacheKey}`;
    } else if (deriveFrom) {
      softKey = this.derivedKey(key, deriveFrom);
    }
    return { hardKeys, softKey };
  }

  /**
   * `owner:derived:<sha256 of key id and instructions prefix>`. A client sends the same
   * instructions with every request, so the last prefix and its key are kept per API key and a
   * repeat costs a byte comparison instead of a hash.
   */
  private derivedKey(key: AuthenticatedKey, prefix: Buffer): string {
    const last = this.derived.get(key.id);
    if (last && last.prefix.equals(prefix)) return last.softKey;
    const digest = createHash('sha256').update(key.id).update('\0').update(prefix).digest('base64url');
    const softKey = `${key.ownerUserId}:derived:${digest}`;
    if (this.derived.size >= DERIVED_MEMO_MAX && !last) this.derived.delete(this.derived.keys().next().value as string);
    this.derived.set(key.id, { prefix: Buffer.from(prefix), softKey });
    return softKey;
  }

  checkModel(key: AuthenticatedKey, model: string | null): void {
    if (model !== null && typeof model !== 'string') throw badBody('model must be a string.');
    if (!isModelAllowed(key, model)) throw modelNotAllowed(model);
  }

  /** Resolves once no proxied request is in flight (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private leave(): void {
    this.inflight -= 1;
    if (this.inflight === 0 && this.drained) {
      this.drained();
      this.drained = null;
    }
  }

  /** Admits the request, then tries up to three accounts until one answers 200. */
  async open(req: ProxyRequest): Promise<OpenUpstream> {
    const startedAt = performance.now();
    this.inflight += 1;
    let reservation: Reservation;
    try {
      reservation = await this.limiter.reserve(req.key, {
        model: req.model,
        estimatedInputTokens: Math.ceil(req.body.length / 4),
      });
    } catch (error) {
      this.leave();
      throw error;
    }
    try {
      return await this.attempt(req, reservation, startedAt);
    } catch (error) {
      await reservation.release().catch(() => undefined);
      this.leave();
      this.record(req, null, startedAt, {
        status: req.cancel.aborted ? 'cancelled' : 'error',
        httpStatus: error instanceof ApiError ? error.getStatus() : 502,
        errorCode: error instanceof ApiError ? String(error.code) : 'upstream_error',
        usage: null,
        responseId: null,
        ttfbMs: null,
        model: req.model,
      });
      throw error;
    }
  }

  private candidates(key: AuthenticatedKey): PooledAccount[] {
    const owned = this.pool.forOwner(key.ownerUserId);
    if (key.accountIds === null) return owned;
    const allowed = new Set(key.accountIds);
    return owned.filter((account) => allowed.has(account.id));
  }

  private async attempt(req: ProxyRequest, reservation: Reservation, startedAt: number): Promise<OpenUpstream> {
    const tried = new Set<string>();
    let lastError: ApiError | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const selection = this.selector.select({
        candidates: this.candidates(req.key),
        hardKeys: req.hardKeys,
        softKey: req.softKey,
        exclude: tried,
      });
      if ('failure' in selection) {
        if (lastError && selection.failure.code === 'no_accounts') throw lastError;
        throw selectionError(selection.failure);
      }
      const account = selection.account;
      tried.add(account.id);
      let refreshed = false;
      if (account.tokenExpiresAt !== null && account.tokenExpiresAt - Date.now() < TOKEN_MARGIN_MS) {
        refreshed = await this.refreshToken(account);
        if (!refreshed) continue;
      }
      const readQuota = this.pool.wantsQuota(account);
      for (;;) {
        let response: UpstreamResponse;
        try {
          response = await this.upstream.call({
            method: 'POST',
            path: req.path,
            headers: upstreamHeaders(req.headers, account, req.accept),
            body: req.body,
          });
        } catch (error) {
          if (req.cancel.aborted) throw new ApiError(499, 'client_closed', 'The client closed the request.');
          this.pool.backOff(account.id, BACKOFF_MS);
          lastError = upstreamFailure(`The upstream could not be reached: ${(error as Error).message}`);
          break;
        }
        if (req.cancel.aborted) {
          response.destroy();
          throw new ApiError(499, 'client_closed', 'The client closed the request.');
        }
        // A 429's headers always count: they say when the account may be used again.
        const quota = readQuota || response.statusCode !== 200 ? quotaFromHeaders(response.headers) : null;
        if (quota) this.pool.observeQuota(account.id, quota);
        if (response.statusCode === 200) {
          req.cancel.body = response;
          this.selector.remember(account.id, req.hardKeys, req.softKey);
          return { account, readQuota, response, reservation, startedAt };
        }
        const body = await response.json().catch(() => null);
        if (response.statusCode === 401 && !refreshed) {
          refreshed = await this.refreshToken(account);
          if (refreshed) continue;
          lastError = upstreamFailure('The upstream refused the account token.');
          break;
        }
        if (response.statusCode === 429) {
          const until = resetFrom429(body);
          this.pool.coolDown(account.id, until, 'The upstream usage limit is reached until the window resets.');
          lastError = selectionError({
            code: 'all_accounts_rate_limited',
            message: `Every upstream account tried is rate-limited; the earliest resets at ${new Date(until).toISOString()}.`,
            retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)),
          });
          break;
        }
        if (response.statusCode >= 500 || response.statusCode === 401) {
          this.pool.backOff(account.id, BACKOFF_MS);
          lastError = upstreamFailure(`The upstream answered ${response.statusCode}.`);
          break;
        }
        // Any other status is about the request itself: no other account would answer differently.
        const detail =
          (body as Record<string, unknown>)?.detail ?? (body as Record<string, { message?: string }>)?.error?.message;
        throw new ApiError(
          response.statusCode,
          'upstream_rejected',
          String(detail ?? `The upstream answered ${response.statusCode}.`),
        );
      }
    }
    throw lastError ?? upstreamFailure('No upstream account answered.');
  }

  private async refreshToken(account: PooledAccount): Promise<boolean> {
    try {
      const access = await this.tokens.refresh(account.id);
      this.pool.setAccessToken(account.id, access.accessToken, access.expiresAt);
      return true;
    } catch (error) {
      this.logger.warn(`Token refresh for account ${account.id} failed: ${(error as Error).message}`);
      this.pool.backOff(account.id, BACKOFF_MS);
      return false;
    }
  }

  /** Settles limits, remembers the response for stickiness and writes the request log. */
  async finish(req: ProxyRequest, open: OpenUpstream, outcome: Outcome): Promise<void> {
    if (outcome.responseId)
      this.selector.remember(open.account.id, [`${req.key.ownerUserId}:resp:${outcome.responseId}`], null);
    const usage = outcome.usage;
    const model = outcome.model ?? req.model;
    const costUsd =
      usage && usage.inputTokens !== null && usage.outputTokens !== null
        ? estimateCostUsd(model, {
            inputTokens: usage.inputTokens,
            cachedInputTokens: usage.cachedInputTokens ?? 0,
            outputTokens: usage.outputTokens,
          })
        : null;
    try {
      if (outcome.status === 'success' || (usage && usage.inputTokens !== null)) {
        await open.reservation.settle(
          usage && usage.inputTokens !== null && usage.outputTokens !== null
            ? {
                inputTokens: usage.inputTokens,
                cachedInputTokens: usage.cachedInputTokens ?? undefined,
                outputTokens: usage.outputTokens,
                reasoningTokens: usage.reasoningTokens ?? undefined,
                costUsd,
              }
            : null,
        );
      } else {
        await open.reservation.release();
      }
    } catch (error) {
      this.logger.warn(`Settling limits failed: ${(error as Error).message}`);
    }
    outcome.model = model;
    this.record(req, open.account.id, open.startedAt, outcome, costUsd);
    this.leave();
  }

  private record(
    req: ProxyRequest,
    accountId: string | null,
    startedAt: number,
    outcome: Outcome,
    costUsd: number | null = null,
  ) {
    const usage = outcome.usage;
    this.logs.record({
      requestId: req.requestId,
      requestedAt: new Date(Date.now() - (performance.now() - startedAt)),
      ownerUserId: req.key.ownerUserId,
      apiKeyId: req.key.id,
      accountId,
      route: req.route,
      model: outcome.model ?? req.model,
      stream: req.stream,
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      errorCode: outcome.errorCode,
      inputTokens: usage?.inputTokens ?? null,
      cachedInputTokens: usage?.cachedInputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      reasoningTokens: usage?.reasoningTokens ?? null,
      costUsd,
      latencyMs: Math.round(performance.now() - startedAt),
      ttfbMs: outcome.ttfbMs,
      clientIp: req.clientIp,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 256) : null,
      sessionId: sessionIdOf(req.headers),
    });
  }

  /** Quota seen in a codex.rate_limits event. */
  observeQuota(accountId: string, quota: Parameters<AccountPool['observeQuota']>[1]): void {
    this.pool.observeQuota(accountId, quota);
  }
}
