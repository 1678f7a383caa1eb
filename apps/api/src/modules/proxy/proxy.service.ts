// The single lifecycle of a proxied request (one "exchange"): admission against the key's limits,
// account choice with failover before the first byte, the upstream call, streaming through a
// protocol adapter, and settlement: the reservation settled or released and exactly one log row,
// in a finally that runs on every path (success, upstream failure, client gone, stall, shutdown).
// Protocols (Codex pass-through, collected Responses, chat translation, compact) are adapters in
// proxy-routes.service.ts; they write to the client and say what they observed, nothing more.
import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../../common/api-error';
import { SlotList } from '../../common/slot-list';
import { AccountTokensService } from '../accounts/account-tokens.service';
import { isModelAllowed, type AuthenticatedKey } from '../api-keys/api-key.types';
import { ApiKeyLimiter, type Reservation } from '../api-keys/limits/api-key-limiter';
import { AccountPool, type PooledAccount } from './routing/account-pool';
import { usability } from '../accounts/account-state';
import { AccountSelector, turnBindingKey, type SelectionFailure } from './routing/account-selector';
import type { Exchange } from './exchange';
import {
  badBody,
  clientClosed,
  modelNotAllowed,
  resetFrom429,
  selectionError,
  upstreamRejected,
  upstreamUnavailable,
} from './proxy-errors';
import type { ObservedUsage } from './wire/sse-observer';
import { quotaFromHeaders } from './wire/sse-observer';
import { UsageMeter, type Outcome } from './metering/usage-meter';
import { sessionIdOf, upstreamHeaders } from './upstream/upstream-request';
import { UpstreamClient } from './upstream/upstream.client';
import { WarmExchanges } from './warm-exchanges';
import type { UpstreamResponse } from './upstream/upstream-response';

export type { Outcome } from './metering/usage-meter';

const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 5_000;
const TOKEN_MARGIN_MS = 60_000;
const DERIVED_MEMO_MAX = 2_000;
/**
 * Longest client-chosen value (previous_response_id, turn state, prompt_cache_key) that becomes a
 * binding key. Response and session ids are tens of characters, and no longer turn state is bound
 * (proxy-routes.service.ts, upstream-socket.ts). A longer value is served without stickiness from
 * it, so a body-sized id costs no hashing (a 30 MB key took 120-270 ms of the event loop).
 */
export const STICKY_INPUT_MAX_CHARS = 1024;

function stickyInput(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= STICKY_INPUT_MAX_CHARS ? value : null;
}

/** Read access to a request body's string members (a scanned body or a parsed object). */
export interface StringFields {
  string(key: string): string | null;
}

export interface ProxyRequest {
  exchange: Exchange;
  key: AuthenticatedKey;
  route: string;
  model: string | null;
  stream: boolean;
  /** The upstream path below the backend base. */
  path: string;
  /** Serialized once (or the client's own bytes), sent as is to every attempt. */
  body: Buffer | string;
  accept: string;
  hardKeys: string[];
  softKey: string | null;
  /**
   * Opens the answer on an upstream already bound (a WebSocket turn on its socket's account)
   * instead of choosing an account and calling the upstream over HTTP.
   */
  open?: () => Promise<OpenUpstream>;
}

/** What run() and the adapters read of an upstream answer (an HTTP response or a WebSocket turn). */
export type UpstreamAnswer = Pick<UpstreamResponse, 'forEach' | 'destroy' | 'resume' | 'header' | 'statusCode'>;

export interface OpenUpstream {
  account: PooledAccount;
  /** Whether the stream should be read for quota (rate-limit events); see AccountPool.wantsQuota. */
  readQuota: boolean;
  response: UpstreamAnswer;
}

/** What an upstream response meant, the same for every protocol. */
export type Terminal = 'completed' | 'incomplete' | 'failed' | null;

/** What an adapter saw of the upstream answer once it ended. */
export interface Observed {
  terminal: Terminal;
  /** The upstream's own error code for a failed response. */
  errorCode: string | null;
  usage: ObservedUsage | null;
  responseId: string | null;
  model: string | null;
  /** The status the client received (200 for streams once started). */
  httpStatus: number;
}

/** A protocol over the exchange: how the client's answer starts, continues and ends. */
export interface Adapter {
  /** The upstream answered 200: start the client's answer (a stream's head). */
  start(open: OpenUpstream): void;
  /** One body chunk; false pauses the upstream read until the client drains. */
  chunk(chunk: Buffer, open: OpenUpstream): boolean | void;
  /**
   * The upstream body ended; `cut` when it broke off (not by us). Ends the client's answer,
   * with an error the client's SDK raises when the response did not complete.
   */
  finish(cut: boolean, open: OpenUpstream): Observed;
}

/** Errors already recorded in the request log by run(). */
const logged = new WeakSet<object>();

export function isLogged(error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error);
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');
  readonly selector = new AccountSelector();
  /**
   * Exchanges in flight, with the key each runs under (revocations cut them: stream-revocation.ts).
   * Not a Map: under this churn a Map's discarded tables kept finished exchanges alive through
   * young collections (common/slot-list.ts).
   */
  private readonly live = new SlotList<Exchange, AuthenticatedKey>();
  private drained: (() => void) | null = null;
  private readonly derived = new Map<string, { prefix: Buffer; softKey: string }>();
  /** The last finished exchange of each kind, so an idle collection keeps the JIT's work. */
  readonly warm = new WarmExchanges();

  constructor(
    private readonly pool: AccountPool,
    private readonly tokens: AccountTokensService,
    private readonly upstream: UpstreamClient,
    private readonly limiter: ApiKeyLimiter,
    private readonly meter: UsageMeter,
  ) {}

  /**
   * Hard and soft stickiness keys for a Responses-shaped body, scoped to the key's owner. Without
   * a prompt_cache_key, `deriveFrom` (the start of the instructions' JSON text; null to skip)
   * gives a soft key of its own. A client-chosen value over STICKY_INPUT_MAX_CHARS gives no key.
   */
  stickiness(key: AuthenticatedKey, headers: IncomingHttpHeaders, body: StringFields, deriveFrom: Buffer | null) {
    const owner = key.ownerUserId;
    const hardKeys: string[] = [];
    const previous = stickyInput(body.string('previous_response_id'));
    if (previous) hardKeys.push(`${owner}:resp:${previous}`);
    const turnState = stickyInput(headers['x-codex-turn-state']);
    if (turnState) hardKeys.push(turnBindingKey(owner, turnState));
    const session = sessionIdOf(headers);
    if (session) hardKeys.push(`${owner}:session:${session}`);
    let softKey: string | null = null;
    const cacheKey = stickyInput(body.string('prompt_cache_key'));
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

  /**
   * Resolves once no proxied request is in flight. Streams still running after `timeoutMs` are
   * cut (logged as cancelled by `shutdown`), so shutdown never waits on a client.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.live.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.live.size === 0) return;
    for (const exchange of this.live.list()) exchange.abort('shutdown');
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      setTimeout(resolve, 2_000).unref();
    });
  }

  /** Exchanges in flight with their keys, as a copy (revocation checks; never the request path). */
  liveExchanges(): [Exchange, AuthenticatedKey][] {
    return this.live.entries();
  }

  /** Exchanges in flight (for health and specs). */
  get inFlight(): number {
    return this.live.size;
  }

  /**
   * Runs one exchange to its end. Errors before the answer started are thrown (after they are
   * logged) for the caller to answer in OpenAI's envelope; the log row and the settlement happen
   * here, exactly once, whatever happens.
   */
  async run(req: ProxyRequest, adapter: Adapter): Promise<void> {
    const exchange = req.exchange;
    this.live.add(exchange, req.key);
    let reservation: Reservation | null = null;
    let open: OpenUpstream | null = null;
    let accountId: string | null = null;
    let ttfbMs: number | null = null;
    let outcome: Outcome | null = null;
    /** Bytes of the upstream's answer (what a collecting adapter may hold). */
    let received = 0;
    try {
      reservation = await this.limiter.reserve(req.key, {
        model: req.model,
        estimatedInputTokens: Math.ceil(req.body.length / 4),
      });
      if (exchange.aborted) throw clientClosed();
      open = req.open ? await req.open() : await this.attempt(req);
      accountId = open.account.id;
      adapter.start(open);
      const opened = open;
      const startedAt = exchange.startedAt;
      let cut = false;
      try {
        await open.response.forEach((chunk) => {
          if (ttfbMs === null) ttfbMs = Math.round(performance.now() - startedAt);
          received += chunk.length;
          return adapter.chunk(chunk, opened);
        });
      } catch {
        cut = !exchange.aborted;
      }
      if (exchange.aborted) {
        outcome = this.aborted(exchange, req, null);
      } else {
        const observed = adapter.finish(cut, open);
        if (observed.responseId) {
          this.selector.remember(accountId, [`${req.key.ownerUserId}:resp:${observed.responseId}`], null);
        }
        outcome = this.meaning(observed, ttfbMs);
      }
    } catch (error) {
      outcome = exchange.aborted ? this.aborted(exchange, req, null) : this.failure(error, req.model);
      if (typeof error === 'object' && error !== null) logged.add(error);
      throw error;
    } finally {
      exchange.dispose();
      open?.response.destroy();
      outcome ??= this.aborted(exchange, req, null);
      outcome.ttfbMs ??= ttfbMs;
      // Charged: what completed, and what was delivered before the client went away.
      const delivered = open !== null && exchange.bytesWritten > 0;
      try {
        await this.meter.settle(req, reservation, accountId, outcome, delivered);
      } finally {
        // Out of the list even if metering threw: a shutdown's drain waits on it.
        this.live.remove(exchange);
        // Nothing of the request outlives it through the exchange: a keep-alive connection keeps
        // its last request's objects until the next request arrives, and at 50 connections that
        // retention doubled the memory churned per request (bench/BASELINE.md). One small exchange
        // per kind is kept on purpose (warm-exchanges.ts).
        this.warm.keep(req, adapter, open, outcome, received);
        exchange.upstream = null;
        exchange.body = null;
        if (this.live.size === 0 && this.drained) {
          this.drained();
          this.drained = null;
        }
      }
    }
  }

  /** A refusal before run() (bad body, model not allowed, concurrency cap): one log row. */
  refused(exchange: Exchange, key: AuthenticatedKey, route: string, error: unknown): void {
    const outcome = exchange.aborted
      ? { ...this.aborted(exchange, null, null), model: null }
      : this.failure(error, null);
    this.meter.record(exchange, key, route, null, false, null, outcome, null);
  }

  /** The same meaning of an upstream answer for every protocol. */
  private meaning(observed: Observed, ttfbMs: number | null): Outcome {
    let status: Outcome['status'] = 'success';
    let errorCode: string | null = null;
    switch (observed.terminal) {
      case 'completed':
        break;
      case 'incomplete':
        errorCode = 'response_incomplete';
        break;
      case 'failed':
        status = 'error';
        errorCode = observed.errorCode ?? 'response_failed';
        break;
      default:
        // The body ended (or broke off) without a terminal event.
        status = 'error';
        errorCode = 'upstream_disconnected';
    }
    return {
      status,
      httpStatus: observed.httpStatus,
      errorCode,
      usage: observed.usage,
      responseId: observed.responseId,
      ttfbMs,
      model: observed.model,
    };
  }

  private aborted(exchange: Exchange, req: ProxyRequest | null, model: string | null): Outcome {
    const res = exchange.res;
    return {
      status: 'cancelled',
      // What the client received: the streamed status, or nothing at all (499, as nginx logs it).
      httpStatus: res.headersSent ? res.statusCode : 499,
      errorCode: exchange.abortReason ?? 'client_closed',
      usage: null,
      responseId: null,
      ttfbMs: null,
      model: model ?? req?.model ?? null,
    };
  }

  private failure(error: unknown, model: string | null): Outcome {
    return {
      status: 'error',
      httpStatus: error instanceof ApiError ? error.getStatus() : 500,
      errorCode: error instanceof ApiError ? String(error.code) : 'internal_error',
      usage: null,
      responseId: null,
      ttfbMs: null,
      model,
    };
  }

  private candidates(key: AuthenticatedKey): PooledAccount[] {
    return this.pool.effectivePool(key);
  }

  /**
   * Tries up to three accounts until one answers 200. When every try failed, the last failure's
   * own cause is the answer (an upstream outage is a 502, not a rate limit).
   */
  private async attempt(req: ProxyRequest): Promise<OpenUpstream> {
    const exchange = req.exchange;
    const tried = new Set<string>();
    let lastError: ApiError | null = null;
    // Several replicas: a conversation this replica has not seen may be bound elsewhere.
    const prefetch = this.selector.prefetch(req.hardKeys, req.softKey);
    if (prefetch) await prefetch;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const selection = this.selector.select({
        candidates: this.candidates(req.key),
        hardKeys: req.hardKeys,
        softKey: req.softKey,
        exclude: tried,
      });
      if ('failure' in selection) throw lastError ?? this.selectionFailure(selection.failure, req.key);
      const account = selection.account;
      tried.add(account.id);
      let refreshed = false;
      if (account.tokenExpiresAt !== null && account.tokenExpiresAt - Date.now() < TOKEN_MARGIN_MS) {
        refreshed = await this.refreshToken(account);
        if (exchange.aborted) throw clientClosed();
        if (!refreshed) {
          lastError = upstreamUnavailable('The account token could not be refreshed.');
          continue;
        }
      }
      const readQuota = this.pool.wantsQuota(account);
      for (;;) {
        const response = this.upstream.open({
          method: 'POST',
          path: req.path,
          headers: upstreamHeaders(exchange.headers, account, req.accept),
          body: req.body,
        });
        exchange.upstream = response;
        try {
          await response.ready;
        } catch (error) {
          if (exchange.aborted) throw clientClosed();
          this.meter.metrics.upstreamAnswered(account.id, 0);
          this.pool.backOff(account.id, BACKOFF_MS);
          lastError = upstreamUnavailable(`The upstream could not be reached (${(error as Error).message}).`);
          break;
        }
        if (exchange.aborted) throw clientClosed();
        this.meter.metrics.upstreamAnswered(account.id, response.statusCode);
        // A 429's headers always count: they say when the account may be used again.
        const quota = readQuota || response.statusCode !== 200 ? quotaFromHeaders(response.headers) : null;
        if (quota) this.pool.observeQuota(account.id, quota);
        if (response.statusCode === 200) {
          this.selector.remember(account.id, req.hardKeys, req.softKey);
          return { account, readQuota, response };
        }
        const body = await response.json().catch(() => null);
        if (exchange.aborted) throw clientClosed();
        const status = response.statusCode;
        if (status === 401 && !refreshed) {
          refreshed = await this.refreshToken(account);
          if (refreshed) continue;
          lastError = upstreamUnavailable('The upstream refused the account token.');
          break;
        }
        if (status === 429) {
          const until = resetFrom429(body);
          this.pool.coolDown(account.id, until, 'The upstream usage limit is reached until the window resets.');
          lastError = selectionError({
            code: 'all_accounts_rate_limited',
            message: `Every upstream account tried is rate-limited; the earliest resets at ${new Date(until).toISOString()}.`,
            retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)),
          });
          break;
        }
        if (status === 402 || status === 403) {
          // About the account (a deactivated workspace, an unpaid plan): another may serve.
          const message = detailOf(body) ?? `The upstream answered ${status}.`;
          this.pool.report(account.id, { type: 'account_refused', status, message });
          lastError = upstreamUnavailable(`The upstream refused the account (${status}).`);
          break;
        }
        if (status >= 500 || status === 401) {
          this.pool.backOff(account.id, BACKOFF_MS);
          lastError = upstreamUnavailable(`The upstream answered ${status}.`);
          break;
        }
        // Any other status is about the request itself: no other account would answer differently.
        throw upstreamRejected(status, detailOf(body) ?? `The upstream answered ${status}.`);
      }
    }
    throw lastError ?? upstreamUnavailable('No upstream account answered.');
  }

  /**
   * Accounts that are only backing off after upstream errors are not rate-limited: the client is
   * told the upstream is unavailable (503), with when to retry, rather than a 429 it would
   * attribute to its own usage.
   */
  private selectionFailure(failure: SelectionFailure, key: AuthenticatedKey): ApiError {
    if (failure.code !== 'all_accounts_rate_limited') return selectionError(failure);
    const now = Date.now();
    const limited = this.candidates(key).some((account) => {
      const reason = usability(account, now).reason;
      return reason === 'cooling_down' || reason === 'quota_exhausted';
    });
    if (limited) return selectionError(failure);
    return new ApiError(
      503,
      'upstream_unavailable',
      `Every upstream account available to this key failed moments ago (upstream errors or no connection); retry in ${failure.retryAfterSeconds} s.`,
      { 'retry-after': String(failure.retryAfterSeconds) },
    );
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

  /** Quota seen in a codex.rate_limits event. */
  observeQuota(accountId: string, quota: Parameters<AccountPool['observeQuota']>[1]): void {
    this.pool.observeQuota(accountId, quota);
  }
}

function detailOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const detail = record.detail ?? (record.error as { message?: unknown } | undefined)?.message;
  return typeof detail === 'string' ? detail.slice(0, 500) : null;
}
