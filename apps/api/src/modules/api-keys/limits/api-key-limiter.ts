// Enforces a key's limits, reserve-then-settle. Admission reserves an estimate on every limit
// that applies to the request (1 for request counts, the estimated tokens, their estimated cost),
// all or nothing, so N concurrent callers against "N per minute" get exactly N admissions. The
// proxy then settles the real usage exactly once, or releases the reservation if the request
// failed or was aborted; a reservation neither settled nor released within the lease is
// reclaimed by the sweeper.
//
// Counters are seeded the first time they are needed from the persisted usage (api_key_usage),
// so a restart does not hand out a fresh daily budget. Request-count limits count admissions
// that were settled: a released (failed) request gives its slot back.
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ApiKeyLimitDto, ApiKeyLimitKind, ApiKeyLimitWindow } from '@codex-lb/shared';
import { ApiError } from '../../../common/api-error';
import type { KeyLimit } from '../api-key.types';
import { estimateCostUsd, modelMatches, normalizeModel, priceFor } from '../../usage/pricing';
import type { UsageRow } from '../api-keys.repository';
import { LimitCounterStore, type CounterClaim } from './limit-counter-store';
import { KeyUsageRecorder, type UsageAmounts } from './usage-recorder';
import { windowBounds, type WindowBounds } from './windows';

export interface ReserveRequest {
  /** The model the client asked for; null when it named none. */
  model: string | null;
  estimatedInputTokens?: number;
  estimatedOutputTokens?: number;
}

export interface ActualUsage {
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
  reasoningTokens?: number;
  /** When omitted, computed from the model's price. */
  costUsd?: number | null;
}

export interface Reservation {
  readonly id: string;
  /** Commits real usage (null = unknown: the estimate is charged). Only the first call counts. */
  settle(actual: ActualUsage | null): Promise<void>;
  /** Gives everything back (the request failed or was aborted). Only the first call counts. */
  release(): Promise<void>;
}

export interface LimitedKey {
  id: string;
  limits: readonly KeyLimit[];
}

const DEFAULT_LEASE_MS = 15 * 60_000;
const SWEEP_MS = 30_000;

const KIND_LABEL: Record<ApiKeyLimitKind, string> = {
  requests: 'requests',
  input_tokens: 'input tokens',
  output_tokens: 'output tokens',
  total_tokens: 'tokens',
  cost_usd: 'USD',
};
const WINDOW_LABEL: Record<ApiKeyLimitWindow, string> = {
  minute: 'per minute',
  '5h': 'per 5 hours',
  daily: 'per day (UTC)',
  weekly: 'per week (UTC, from Monday)',
  monthly: 'per month (UTC)',
};

interface Placed {
  limit: KeyLimit;
  counter: string;
  bounds: WindowBounds;
}

/** What a request is charged before its real usage is known. */
function estimateOf(model: string, request: ReserveRequest): UsageAmounts {
  const inputTokens = Math.max(0, Math.round(request.estimatedInputTokens ?? 0));
  const outputTokens = Math.max(0, Math.round(request.estimatedOutputTokens ?? 0));
  return {
    requests: 1,
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    costUsd: estimateCostUsd(model, { inputTokens, outputTokens }) ?? 0,
  };
}

@Injectable()
export class ApiKeyLimiter implements OnModuleInit, OnModuleDestroy {
  /** How long a reservation may stay open before the sweeper reclaims it. */
  leaseMs = DEFAULT_LEASE_MS;
  private readonly known = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: LimitCounterStore,
    private readonly recorder: KeyUsageRecorder,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(Date.now()), SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reserves or throws a 429 ApiError naming the limit, its window and when it resets. */
  async reserve(key: LimitedKey, request: ReserveRequest): Promise<Reservation> {
    const now = Date.now();
    const model = request.model ? normalizeModel(request.model) : '';
    const applicable = key.limits.filter((limit) => limit.model === null || modelMatches(limit.model, model));
    if (applicable.some((limit) => limit.kind === 'cost_usd') && !priceFor(model)) {
      // Fail closed: a key with a spending cap must not run a model whose spending we cannot count.
      throw new ApiError(
        400,
        'model_not_priced',
        `This API key has a cost limit, and the model "${model || '(none)'}" has no known price.`,
      );
    }
    if (applicable.length === 0) return this.unlimited(key, model, request, now);
    const placed = applicable.map((limit) => place(key.id, limit, now));
    try {
      await this.ensureCounters(placed);
    } catch (error) {
      throw limitsUnavailable(error);
    }

    const estimate = estimateOf(model, request);
    const claims: CounterClaim[] = placed.map((p) => ({
      counter: p.counter,
      amount: amountOf(p.limit.kind, estimate),
      max: p.limit.max,
      expiresAt: p.bounds.end,
    }));
    const id = randomUUID();
    let result: Awaited<ReturnType<LimitCounterStore['reserve']>>;
    try {
      result = await this.store.reserve(id, claims, now + this.leaseMs);
    } catch (error) {
      throw limitsUnavailable(error);
    }
    if (!result.ok) throw limitError(placed[result.index], result.used, now);

    let done = false;
    return {
      id,
      settle: async (actual) => {
        if (done) return;
        done = true;
        const spent = actual ? actualAmounts(model, actual) : estimate;
        await this.store.settle(id, new Map(placed.map((p) => [p.counter, amountOf(p.limit.kind, spent)])));
        this.recorder.record(key.id, model, now, spent);
      },
      release: async () => {
        if (done) return;
        done = true;
        await this.store.release(id);
      },
    };
  }

  /**
   * A key with no limit that applies to this model has nothing to reserve: its reservation only
   * records the usage when it settles (the common case, kept off the counter store entirely).
   */
  private unlimited(key: LimitedKey, model: string, request: ReserveRequest, now: number): Reservation {
    let done = false;
    return {
      id: '',
      settle: async (actual) => {
        if (done) return;
        done = true;
        this.recorder.record(key.id, model, now, actual ? actualAmounts(model, actual) : estimateOf(model, request));
      },
      release: async () => {
        done = true;
      },
    };
  }

  /** Each limit of the key with what is used and left in its current window. */
  async usage(key: LimitedKey): Promise<ApiKeyLimitDto[]> {
    return (await this.usageOfMany([key])).get(key.id) ?? [];
  }

  /** The same for many keys, with one baseline query for all of them. */
  async usageOfMany(keys: LimitedKey[]): Promise<Map<string, ApiKeyLimitDto[]>> {
    const now = Date.now();
    const placedByKey = keys.map((key) => ({ key, placed: key.limits.map((limit) => place(key.id, limit, now)) }));
    const all = placedByKey.flatMap((entry) => entry.placed);
    await this.ensureCounters(all);
    const values = await this.store.read(all.map((p) => p.counter));
    const result = new Map<string, ApiKeyLimitDto[]>();
    let index = 0;
    for (const { key, placed } of placedByKey) {
      result.set(
        key.id,
        placed.map((p) => {
          const value = values[index++];
          const used = roundFor(p.limit.kind, value.committed + value.reserved);
          return {
            kind: p.limit.kind,
            window: p.limit.window,
            max: p.limit.max,
            model: p.limit.model,
            used,
            remaining: Math.max(0, roundFor(p.limit.kind, p.limit.max - used)),
            resetsAt: new Date(p.bounds.end).toISOString(),
          };
        }),
      );
    }
    return result;
  }

  /** Reclaims stale reservations and forgets finished windows. */
  async sweep(now: number): Promise<number> {
    for (const [counter, expiresAt] of this.known) if (expiresAt <= now) this.known.delete(counter);
    return this.store.sweep(now);
  }

  /** Seeds counters seen for the first time; concurrent callers share one seeding. */
  private async ensureCounters(placed: Placed[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: Placed[] = [];
    for (const p of placed) {
      if (this.known.has(p.counter)) continue;
      const running = this.seeding.get(p.counter);
      if (running) waits.push(running);
      else if (!fresh.some((f) => f.counter === p.counter)) fresh.push(p);
    }
    if (fresh.length > 0) {
      const seeding = this.seed(fresh).finally(() => {
        for (const p of fresh) this.seeding.delete(p.counter);
      });
      for (const p of fresh) this.seeding.set(p.counter, seeding);
      waits.push(seeding);
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  private async seed(fresh: Placed[]): Promise<void> {
    const persisted = fresh.filter((p) => p.limit.window !== 'minute');
    let rows: UsageRow[] = [];
    if (persisted.length > 0) {
      const keyIds = [...new Set(persisted.map((p) => p.counter.split('|')[0]))];
      const windows = new Map(persisted.map((p) => [`${p.limit.window}|${p.bounds.start}`, p]));
      rows = await this.recorder.baseline(
        keyIds,
        [...windows.values()].map((p) => ({ window: p.limit.window, start: p.bounds.start })),
      );
    }
    for (const p of fresh) {
      const keyId = p.counter.split('|')[0];
      let committed = 0;
      for (const row of rows) {
        if (row.apiKeyId !== keyId || row.window !== p.limit.window || row.windowStart !== p.bounds.start) continue;
        if (p.limit.model !== null && !modelMatches(p.limit.model, row.model)) continue;
        committed += amountOf(p.limit.kind, row);
      }
      await this.store.seed(p.counter, committed, p.bounds.end);
      this.known.set(p.counter, p.bounds.end);
    }
  }
}

function place(keyId: string, limit: KeyLimit, now: number): Placed {
  const bounds = windowBounds(limit.window, now);
  const model = limit.model === null ? '*' : normalizeModel(limit.model);
  return { limit, bounds, counter: `${keyId}|${limit.kind}|${limit.window}|${model}|${bounds.start}` };
}

function amountOf(kind: ApiKeyLimitKind, amounts: UsageAmounts): number {
  switch (kind) {
    case 'requests':
      return amounts.requests;
    case 'input_tokens':
      return amounts.inputTokens;
    case 'output_tokens':
      return amounts.outputTokens;
    case 'total_tokens':
      return amounts.totalTokens;
    case 'cost_usd':
      return amounts.costUsd;
  }
}

function actualAmounts(model: string, actual: ActualUsage): UsageAmounts {
  const inputTokens = Math.max(0, Math.round(actual.inputTokens || 0));
  // Reasoning tokens are part of output_tokens in OpenAI's usage; they are not added again.
  const outputTokens = Math.max(0, Math.round(actual.outputTokens || 0));
  const cost = actual.costUsd ?? estimateCostUsd(model, { ...actual, inputTokens, outputTokens });
  return { requests: 1, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, costUsd: cost ?? 0 };
}

function roundFor(kind: ApiKeyLimitKind, value: number): number {
  return kind === 'cost_usd' ? Math.round(value * 1e6) / 1e6 : Math.round(value);
}

function limitError(placed: Placed, used: number, now: number): ApiError {
  const { limit, bounds } = placed;
  const retryAfter = Math.max(1, Math.ceil((bounds.end - now) / 1000));
  const amount = (value: number) =>
    limit.kind === 'cost_usd' ? `$${value.toFixed(2)}` : `${roundFor(limit.kind, value)} ${KIND_LABEL[limit.kind]}`;
  const scope = limit.model ? ` for ${limit.model}` : '';
  const resetsAt = new Date(bounds.end).toISOString();
  const requests = limit.kind === 'requests';
  return new ApiError(
    429,
    requests ? 'rate_limit_exceeded' : 'usage_limit_exceeded',
    `${requests ? 'Rate' : 'Usage'} limit reached for this API key: ${amount(limit.max)} ${WINDOW_LABEL[limit.window]}` +
      `${scope} (${amount(used)} used or reserved). It resets at ${resetsAt}; retry after ${retryAfter} s.`,
    { 'retry-after': String(retryAfter) },
    { limit: { kind: limit.kind, window: limit.window, max: limit.max, model: limit.model }, resetsAt },
  );
}

/**
 * The shared counters could not be reached (Redis down on a multi-replica install, or the
 * database): a key with limits is refused rather than served over them, with a retryable 503.
 */
function limitsUnavailable(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(
    503,
    'limits_unavailable',
    "This API key's usage limits cannot be checked right now. Retry in a few seconds.",
    { 'retry-after': '5' },
  );
}
